using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Policy.Rules;

/// <summary>source-address: networks requested entries must fall inside, and a default list.</summary>
internal sealed record SourceAddressRule(SshCidr[] Allowed, SourceAddressList? Default);
