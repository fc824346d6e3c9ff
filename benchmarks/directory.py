"""The directory at size: 20,000 contacts and 50,000 documents added to the demo.

Over HTTP (granian, 2 workers): contact and document search (full-text + trigram, misspelt names among
the queries), p95 target < 30 ms; "who serves here", p95 target < 15 ms; beside GET /healthz, the floor
any request stands on. In process (no HTTP): the who-serves-here queryset against the same question in
hand-written SQL, both through Django's connection in this run; target >= 0.8x.

The synthetic rows carry description 'bench' (contacts) and the tag 'bench' (documents) and are removed
at the end. Usage: ./imbizo bench directory [--queries 1000]
"""

import argparse
import random
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support import floor_figures, http_get, setup_django, summary, timed, wsgi_server  # noqa: E402

CONTACTS, DOCUMENTS = 20_000, 50_000
FIRST = ["Thabo", "Lindiwe", "Sipho", "Nomvula", "Pieter", "Anneke", "Johan", "Zanele", "Mpho", "Karabo", "Thandeka",
         "Bongani", "Elsabe", "Willem", "Naledi", "Lerato", "Sibusiso", "Marietjie", "Kagiso", "Palesa", "Ayanda"]
LAST = ["Nkosi", "Dlamini", "Mokoena", "Khumalo", "van der Merwe", "Botha", "Mahlangu", "Molefe", "Ndlovu", "Pretorius",
        "Zungu", "Sithole", "Nel", "Mthembu", "Radebe", "du Plessis", "Mofokeng", "Coetzee", "Cele", "Steyn"]
WORDS = ["water", "electricity", "tariff", "budget", "meeting", "minutes", "tender", "vacancy", "refuse", "road",
         "stormwater", "clinic", "library", "housing", "rates", "valuation", "roll", "by-law", "noise", "trading", "dogs",
         "cemetery", "parks", "sport", "hall", "transport"]
# Made-up words and surnames from syllables: the text has a realistic spread, not the same 26 words everywhere.
SYLLABLES = ["ka", "lo", "ndi", "se", "tho", "mba", "zu", "ne", "ri", "wa", "pe", "go", "mo", "la", "ts", "bu", "vi", "ke"]
CONTACT_QUERIES = ["Nkozi", "mokwena", "van der merve", "Thandeka Dlamin", "rates", "Bongani", "sithol", "water meter"]
DOCUMENT_QUERIES = ["tariff", "tarif", "water tariff", "budget", "minutes council", "tender road", "valuation", "noise"]

HAND_WRITTEN_WHO_SERVES = """
    SELECT c.id, c.municipality_id, c.kind, c.name, c.role, c.description, c.phone, c.phone_other, c.whatsapp, c.email,
           c.website, c.address, c.location, c.opening_hours, c.ward_id, c.photo, c.photo_thumbnail,
           c.is_published, c.is_generated, c.updated_at
    FROM directory_contact c
    WHERE c.is_published AND c.municipality_id = %(m)s AND c.id IN (
        SELECT id FROM directory_contact WHERE ward_id = %(w)s AND kind IN ('councillor', 'committee_member')
        UNION SELECT cw.contact_id FROM directory_contact_wards_served cw
              JOIN wards_ward w ON w.id = cw.ward_id JOIN wards_boundaryset b ON b.id = w.boundary_set_id
              WHERE b.is_current AND ST_Covers(w.geom, %(p)s::geometry)
        UNION SELECT cs.contact_id FROM directory_contact_suburbs_served cs JOIN wards_suburb s ON s.id = cs.suburb_id
              WHERE ST_Covers(s.geom, %(p)s::geometry)
        UNION SELECT id FROM directory_contact WHERE ST_Covers(service_area, %(p)s::geometry))
    ORDER BY c.kind, c.name, c.id
"""


def populate(cursor, municipality_ids):
    cursor.execute("SELECT setseed(0.5)")
    cursor.execute(
        """
        INSERT INTO directory_contact (municipality_id, kind, name, role, description, phone, phone_other, whatsapp,
            email, website, address, opening_hours, ward_id, service_area, photo, photo_thumbnail, is_published,
            is_generated, updated_at, location)
        SELECT m.id, k.kind,
               (%(first)s::text[])[1 + floor(random() * cardinality(%(first)s::text[]))::int] || ' ' ||
               CASE WHEN random() < 0.15 THEN (%(last)s::text[])[1 + floor(random() * cardinality(%(last)s::text[]))::int]
                    ELSE initcap((SELECT string_agg((%(syl)s::text[])[1 + floor(random() * 18)::int], '')
                                  FROM generate_series(1, 3 + g %% 2 + (random() * 0)::int))) END || ' ' || g,
               (%(words)s::text[])[1 + floor(random() * cardinality(%(words)s::text[]))::int] || ' queries',
               'bench', '+27164920000', '', '', '', '', '', '',
               CASE WHEN k.kind = 'committee_member' THEN
                   (SELECT w.id FROM wards_ward w JOIN wards_boundaryset b ON b.id = w.boundary_set_id
                    WHERE b.is_current AND w.municipality_id = m.id ORDER BY random() + g LIMIT 1) END,
               CASE WHEN g %% 10 = 0 THEN ST_Multi(ST_Buffer(ST_GeneratePoints(m.boundary, 1, g)::geography, 1500)::geometry) END,
               '', '', true, true, now(), NULL
        FROM generate_series(1, %(n)s) AS g
        JOIN LATERAL (SELECT id, boundary FROM wards_municipality
                      WHERE id = (%(ms)s::bigint[])[1 + g %% cardinality(%(ms)s::bigint[])]) m ON true
        JOIN LATERAL (SELECT (ARRAY['department', 'service', 'office', 'committee_member'])[1 + g %% 4] AS kind) k ON true
        """,
        {"first": FIRST, "last": LAST, "words": WORDS, "syl": SYLLABLES, "n": CONTACTS, "ms": municipality_ids},
    )
    cursor.execute(  # one in 30 services and departments serves a current ward: some fifteen per ward
        """
        INSERT INTO directory_contact_wards_served (contact_id, ward_id)
        SELECT c.id, (SELECT w.id FROM wards_ward w JOIN wards_boundaryset b ON b.id = w.boundary_set_id
                      WHERE b.is_current AND w.municipality_id = c.municipality_id ORDER BY random() + c.id LIMIT 1)
        FROM directory_contact c WHERE c.description = 'bench' AND c.kind IN ('department', 'service') AND c.id % 30 = 0
        """)
    cursor.execute(
        """
        WITH new AS (
            INSERT INTO directory_document (municipality_id, category, title, description, tags, is_published,
                published_at, expires_at, text, is_generated, updated_at)
            SELECT (%(ms)s::bigint[])[1 + g %% cardinality(%(ms)s::bigint[])],
                   (ARRAY['by_laws', 'tariffs', 'budget_idp', 'forms', 'minutes', 'vacancies', 'tenders'])[1 + g %% 7],
                   initcap((%(words)s::text[])[1 + g %% cardinality(%(words)s::text[])]) || ' ' ||
                   (%(words)s::text[])[1 + (g / 7) %% cardinality(%(words)s::text[])] || ' ' || g,
                   '', ARRAY['bench'], true, now() - (g || ' minutes')::interval, NULL,
                   (%(words)s::text[])[1 + g %% cardinality(%(words)s::text[])] || ' ' ||
                   (%(words)s::text[])[1 + (g / 7) %% cardinality(%(words)s::text[])] || ' ' ||
                   (SELECT string_agg((%(syl)s::text[])[1 + floor(random() * 18)::int] ||
                                      (%(syl)s::text[])[1 + floor(random() * 18)::int] ||
                                      (%(syl)s::text[])[1 + floor(random() * 18)::int], ' ')
                    FROM generate_series(1, 150 + g %% 3)),
                   true, now()
            FROM generate_series(1, %(n)s) AS g
            RETURNING id)
        INSERT INTO directory_documentversion (document_id, number, file, thumbnail, kind, content_type, extension, size,
            original_name, note, text, download_count, uploaded_at)
        SELECT id, 1, 'bench/' || id || '.pdf', '', 'pdf', 'application/pdf', '.pdf', 1000, '', '', '', 0, now() FROM new
        """,
        {"words": WORDS, "syl": SYLLABLES, "n": DOCUMENTS, "ms": municipality_ids},
    )
    cursor.execute("""UPDATE directory_document d SET current_version_id = v.id FROM directory_documentversion v
                      WHERE v.document_id = d.id AND 'bench' = ANY(d.tags)""")
    cursor.execute("ANALYZE directory_contact; ANALYZE directory_contact_wards_served; ANALYZE directory_document; "
                   "ANALYZE directory_documentversion")


def remove(cursor):
    cursor.execute("UPDATE directory_document SET current_version_id = NULL WHERE 'bench' = ANY(tags)")
    cursor.execute("DELETE FROM directory_documentversion WHERE document_id IN "
                   "(SELECT id FROM directory_document WHERE 'bench' = ANY(tags))")
    cursor.execute("DELETE FROM directory_document WHERE 'bench' = ANY(tags)")
    cursor.execute("DELETE FROM directory_contact_wards_served WHERE contact_id IN "
                   "(SELECT id FROM directory_contact WHERE description = 'bench')")
    cursor.execute("DELETE FROM directory_contact WHERE description = 'bench'")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    setup_django()
    from django.contrib.gis.geos import Point
    from django.core.management import call_command
    from django.db import connection, transaction

    from directory.models import Contact, Document
    from wards.models import Municipality

    call_command("load_demo", verbosity=0)
    municipalities = list(Municipality.objects.filter(code__in=["GT423", "WC023"]).order_by("code"))
    lesedi = municipalities[0]
    with transaction.atomic(), connection.cursor() as cursor:
        remove(cursor)
        populate(cursor, [m.pk for m in municipalities])
        cursor.execute("SELECT setseed(0.25)")
        cursor.execute("SELECT ST_X(g), ST_Y(g) FROM ST_Dump(ST_GeneratePoints((SELECT boundary FROM wards_municipality "
                       "WHERE id = %s), %s, 7)) AS d(path, g)", [lesedi.pk, args.queries])
        points = cursor.fetchall()
    print(f"{Contact.objects.count()} contacts, {Document.objects.count()} documents; {len(points)} points\n")
    chooser = random.Random(3)
    contact_queries = [chooser.choice(CONTACT_QUERIES) for _ in range(args.queries)]
    document_queries = [chooser.choice(DOCUMENT_QUERIES) for _ in range(args.queries)]
    try:
        in_process(points[:500], lesedi, Point, Contact, connection)
        with wsgi_server(workers=2) as port:
            def get(path):
                status, body = http_get(port, path)
                assert status == 200, (status, body[:300])
                return body

            def contacts(q):
                get("/api/v1/contacts?" + urllib.parse.urlencode({"municipality": "GT423", "q": q, "limit": 20}))

            def documents(q):
                get("/api/v1/documents?" + urllib.parse.urlencode({"municipality": "GT423", "q": q, "limit": 20}))

            def here(lon, lat):
                assert b'"councillor"' in get(f"/api/v1/contacts/here?lat={lat:.6f}&lon={lon:.6f}")

            for q in CONTACT_QUERIES:
                contacts(q)
            for q in DOCUMENT_QUERIES:
                documents(q)
            for lon, lat in points[:50]:
                here(lon, lat)
            floor = floor_figures(port, args.queries)
            contact_figures = summary("contact search over HTTP", timed((lambda q=q: contacts(q)) for q in contact_queries))
            document_figures = summary("document search over HTTP", timed((lambda q=q: documents(q)) for q in document_queries))
            here_figures = summary("who serves here over HTTP", timed((lambda p=p: here(*p)) for p in points))
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            remove(cursor)
    print(f"\nsearch p95: contacts {contact_figures['p95_ms']:.2f} ms, documents {document_figures['p95_ms']:.2f} ms "
          f"(target < 30 ms); who serves here p95 {here_figures['p95_ms']:.2f} ms (target < 15 ms); "
          f"floor p95 {floor['p95_ms']:.2f} ms")


def in_process(points, municipality, Point, Contact, connection):  # noqa: N803 - classes passed in after django.setup()
    """The queryset behind who-serves-here against the same question written by hand, both in this process."""
    from wards.models import Ward

    cases = []
    for lon, lat in points:
        point = Point(lon, lat, srid=4326)
        ward = Ward.objects.current().filter(municipality=municipality).covering(point).values_list("pk", flat=True).first()
        cases.append((point, ward))

    def orm(point, ward):
        return list(Contact.objects.published().filter(municipality_id=municipality.pk).who_serves(point, ward_id=ward)
                    .defer("search", "service_area").order_by("kind", "name", "pk"))

    def hand(point, ward):
        with connection.cursor() as cursor:
            cursor.execute(HAND_WRITTEN_WHO_SERVES, {"m": municipality.pk, "w": ward, "p": point.ewkb})
            return cursor.fetchall()

    def hand_instances(point, ward):
        return list(Contact.objects.raw(HAND_WRITTEN_WHO_SERVES, {"m": municipality.pk, "w": ward, "p": point.ewkb}))

    for case in cases[:50]:
        assert [c.pk for c in orm(*case)] == [row[0] for row in hand(*case)] == [c.pk for c in hand_instances(*case)]
    for _ in range(2):  # alternate, so no side gets the warmer cache
        hand_figures = summary("who serves here, hand-written SQL, rows", timed((lambda c=c: hand(*c)) for c in cases))
        raw_figures = summary("who serves here, hand-written SQL, Contact.objects.raw",
                              timed((lambda c=c: hand_instances(*c)) for c in cases))
        orm_figures = summary("who serves here, queryset (in process)", timed((lambda c=c: orm(*c)) for c in cases))
    print(f"queryset / hand-written SQL: {orm_figures['per_second'] / hand_figures['per_second']:.2f}x (target >= 0.8x); "
          f"/ the same SQL into model instances (raw): {orm_figures['per_second'] / raw_figures['per_second']:.2f}x\n")

if __name__ == "__main__":
    main()
