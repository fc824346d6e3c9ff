"""fixtures/demo/ is edited by hand: each definition must name things the demo also makes, or the
demo quietly loses them (a category whose department is missing is routed nowhere)."""

from toolkit.fixtures import demo_fixture, fixtures_dir


def test_every_demo_file_is_valid_json():
    names = sorted(path.stem for path in (fixtures_dir() / "demo").glob("*.json"))
    assert names, "fixtures/demo/ is missing"
    for name in names:
        demo_fixture(name)


def test_starter_categories_name_demo_departments_and_asset_types():
    departments = {d["code"] for d in demo_fixture("departments")}
    asset_types = {t["code"] for t in demo_fixture("asset_types")}
    for category in demo_fixture("categories"):
        assert category["department"] in departments, category["code"]
        assert category["asset_type"] in asset_types | {None}, category["code"]


def test_issue_texts_and_depot_categories_name_starter_categories():
    categories = {c["code"] for c in demo_fixture("categories")}
    issues = demo_fixture("issues")
    assert set(issues["descriptions"]) <= categories
    assert set(issues["category_weights"]) <= categories
    assert set(demo_fixture("routing")["depot_categories"]) <= categories
