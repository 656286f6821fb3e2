// The daemon runs on Debian under systemd only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
