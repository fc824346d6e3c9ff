import pytest
from django.core.management import call_command


@pytest.fixture
def health_facilities_file(shared_data):
    path = shared_data / "za_facilities" / "za_health_facilities_lesedi_drakenstein.geojson"
    if not path.exists():
        pytest.skip(f"{path} is missing from the shared data")
    return path


@pytest.fixture
def health_facilities(lesedi, health_facilities_file):
    """The 54 real health facilities (53 after the one verbatim repeat), as staff import them."""
    call_command("import_facilities", str(health_facilities_file), name_field="name", default_name="{type}",
                 type_field="facility_type", address_field="street_address", source_field="dataset",
                 skip_repeated_ids=True, verbosity=0)
    return health_facilities_file
