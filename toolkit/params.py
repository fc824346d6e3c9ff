"""Request parameters parsed without a framework: each edge (DRF views, OGC API, downloads, CLI)
turns BadParameter into its own 400 or CommandError, with the parameter named."""


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(f"Invalid parameter '{name}': {message}")
        self.name = name
        self.message = message

    @property
    def sentence(self) -> str:
        """The message as a sentence of its own, for a 400 body that names the parameter beside it."""
        return self.message[:1].upper() + self.message[1:]


def parse_bbox(raw: str | None, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """minLon,minLat,maxLon,maxLat in WGS 84 (OGC's CRS84 order); a 3D box's heights are ignored."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise BadParameter(name, "expected four numbers: minLon,minLat,maxLon,maxLat.")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise BadParameter(name, f"'{raw}' has a part that is not a number.") from None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise BadParameter(name, "coordinates must be longitude/latitude in WGS 84.")
    if west > east or south > north:
        raise BadParameter(name, "the minimum corner must come before the maximum corner.")
    return (west, south, east, north)


def parse_float(params, name: str, *, minimum: float, maximum: float, required: bool = True) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise BadParameter(name, "This parameter is required.")
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadParameter(name, f"'{raw[:40]}' is not a number.") from None
    if not (minimum <= value <= maximum):  # also refuses NaN
        raise BadParameter(name, f"{value} is outside the range {minimum} to {maximum}.")
    return value


def parse_int(params, name: str, *, default: int | None, minimum: int, maximum: int) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, f"'{raw[:40]}' is not a whole number.") from None
    if not (minimum <= value <= maximum):
        raise BadParameter(name, f"{value} is outside the range {minimum} to {maximum}.")
    return value
