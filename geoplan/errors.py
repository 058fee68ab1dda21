"""The exceptions geoplan raises; each subclasses a built-in as well."""


class GeoplanError(Exception):
    """Base class of every error geoplan raises on purpose."""


class CRSError(GeoplanError, ValueError):
    """A coordinate reference system is missing, undeclared or unsuitable."""


class ValidationError(GeoplanError, ValueError):
    """Input data breaks a rule; the message names file, row, column and fix."""


class GeocodeError(GeoplanError, LookupError):
    """A name or code could not be resolved to a place."""


class DataSourceError(GeoplanError, FileNotFoundError):
    """A data file or an installed data package is missing."""


class RegistryError(GeoplanError, KeyError):
    """A registry entry (preset, category, basemap, mode) is unknown or malformed."""

    def __str__(self) -> str:
        """Show the message without the quotes KeyError adds."""
        return str(self.args[0]) if self.args else ""


class PresetError(RegistryError):
    """A life-circle preset is unknown or malformed."""


class ProviderError(GeocodeError):
    """An online geocoder failed: unreachable, refused the key, or answered badly."""


class QuotaError(ProviderError):
    """An online geocoder refused the request for quota or rate reasons."""
