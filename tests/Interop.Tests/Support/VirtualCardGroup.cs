namespace SshHsmCa.Interop.Tests.Support;

/// <summary>One pcscd per machine: every PIV test shares the fixture, one at a time.</summary>
[CollectionDefinition("pcsc")]
public sealed class VirtualCardGroup : ICollectionFixture<VirtualCard>;
