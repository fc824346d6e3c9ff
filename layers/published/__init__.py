"""What Imbizo publishes, one module per app whose data it reads: areas (wards), the network and
facilities (assets), issues (triage). Importing this package fills the registry."""

from layers.published import areas, issues, network, notices  # noqa: F401
