// The daemon is Linux-only (SO_PEERCRED, systemd); so are its fuzz targets.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
