using System.Text.Json.Serialization;

namespace SshHsmCa.Cli;

/// <summary>Source-generated JSON for <see cref="LogState"/> (no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(LogState))]
internal sealed partial class LogStateJson : JsonSerializerContext;
