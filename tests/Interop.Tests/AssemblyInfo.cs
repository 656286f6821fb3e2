// Interop tests drive Debian's sshd, ssh-keygen and SoftHSM: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
