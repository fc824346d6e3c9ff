"""The standard facility types."""

# The facility types residents look for, with the spellings public registers use for them
# (the national health facility audit writes 'CLINIC', healthsites.io 'clinic', ...).
STANDARD_FACILITY_TYPES = [
    ("clinic", "Clinic", ["CLINIC", "clinic", "Satellite Clinic", "Community Health Centre", "CHC", "Mobile Clinic"]),
    ("hospital", "Hospital", ["hospital", "DISTRICT HOSPITAL", "District Hospital", "REGIONAL HOSPITAL",
                              "Regional Hospital", "SPECIALISED TB HOSPITAL", "Specialised Hospital"]),
    ("pharmacy", "Pharmacy", ["pharmacy", "chemist"]),
    ("doctor", "Doctor", ["doctors", "doctor", "GP"]),
    ("library", "Library", ["library"]),
    ("police-station", "Police station", ["police", "SAPS"]),
    ("municipal-office", "Municipal office", ["municipal office", "townhall", "town hall", "civic centre"]),
    ("pay-point", "Pay point", ["pay point", "payment office", "cashier"]),
    ("community-hall", "Community hall", ["community centre", "hall"]),
    ("park", "Park", ["park", "playground"]),
    ("drop-off", "Landfill and drop-off site", ["landfill", "drop-off", "recycling centre", "waste transfer station"]),
    ("school", "School", ["school"]),
    ("fire-station", "Fire station", ["fire station"]),
]
