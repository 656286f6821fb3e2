namespace SshHsmCa.Interop.Tests.Support;

/// <summary>Every test that loads the SoftHSM module shares one token store: the module reads its configuration once per process.</summary>
[CollectionDefinition(Name)]
public sealed class SoftHsmGroup : ICollectionFixture<SoftHsm>
{
    public const string Name = "softhsm";
}
