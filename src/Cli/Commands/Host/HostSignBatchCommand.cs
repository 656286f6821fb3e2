using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli.Commands.Host;

/// <summary>
/// <c>host sign-batch FILE|DIR</c>: certifies many host keys in one streamed call. FILE has one host
/// per line, <c>NAME[,NAME…] KEYTYPE BASE64 [comment]</c> (<c>#</c> comments and blank lines allowed);
/// DIR holds <c>NAME.pub</c> files. Shows progress and touch prompts on stderr, writes each
/// certificate as it comes, and ends with a summary.
/// </summary>
internal static class HostSignBatchCommand
{
    private const UnixFileMode PublicMode = FileOutput.PublicMode;
    private const int MaxHosts = 1000;

    private sealed record Host(string[] Names, SshPublicKey Key, string Output, string Where);

    public static Command Create(GlobalOptions global)
    {
        var inputArgument = new Argument<string>("FILE|DIR") { Description = "a file of 'NAME[,NAME...] KEYTYPE BASE64' lines, or a folder of NAME.pub files" };
        var outOption = new Option<string?>("--out") { Description = "where the NAME-cert.pub files go (default: beside the input)", HelpName = "DIR" };
        var validityOption = GlobalOptions.Duration("--validity", "how long the certificates are valid (default: the policy's)");
        var jsonOption = GlobalOptions.Json();
        var command = new Command("sign-batch", "certify many host keys in one pass (operators: the 'batch' right); progress and touch prompts on stderr")
        {
            inputArgument, outOption, validityOption, jsonOption,
        };
        command.SetAction(async (parsed, cancel) =>
        {
            var connection = global.Connection(parsed);
            var input = parsed.GetValue(inputArgument)!;
            var outDir = parsed.GetValue(outOption);
            var validity = parsed.GetValue(validityOption);
            var json = parsed.GetValue(jsonOption);
            var hosts = Directory.Exists(input) ? FromFolder(input, outDir) : FromFile(input, outDir);
            RefuseDuplicates(hosts, input);
            var request = new SignHostCertificateBatchRequest();
            foreach (var host in hosts)
            {
                var single = new SignHostCertificateRequest { PublicKey = host.Key.ToOpenSshLine(), ValiditySeconds = validity, RequestId = "batch:" + host.Names[0] };
                single.Principals.AddRange(host.Names);
                request.Hosts.Add(single);
            }

            var results = new BatchHostResult?[hosts.Count];
            BatchSummary? summary = null;
            var done = 0;
            using var call = connection.CreateClient().SignHostCertificateBatch(request, cancellationToken: cancel);
            await foreach (var e in call.ResponseStream.ReadAllAsync(cancel).ConfigureAwait(false))
            {
                switch (e.EventCase)
                {
                    case SignHostCertificateBatchResponse.EventOneofCase.TouchPrompt:
                        CheckIndex(e.TouchPrompt.Index, hosts.Count);
                        await Console.Error.WriteLineAsync($"[{done}/{hosts.Count}] {hosts[(int)e.TouchPrompt.Index].Names[0]}: waiting for touch — {e.TouchPrompt.Message}").ConfigureAwait(false);
                        break;
                    case SignHostCertificateBatchResponse.EventOneofCase.Result:
                        var result = e.Result;
                        CheckIndex(result.Index, hosts.Count);
                        var host = hosts[(int)result.Index];
                        results[result.Index] = result;
                        done++;
                        if (result.Certificate is { } issued)
                        {
                            FileOutput.WriteAtomically(host.Output, SshCertificate.ParseLine(issued.Certificate).ToOpenSshLine() + "\n", PublicMode);
                            await Console.Error.WriteLineAsync($"[{done}/{hosts.Count}] {host.Names[0]}: serial {issued.Serial} until {TimeText.Utc(issued.ValidBefore)} -> {host.Output}").ConfigureAwait(false);
                        }
                        else
                        {
                            await Console.Error.WriteLineAsync($"[{done}/{hosts.Count}] {host.Names[0]}: {result.Error.Code}: {result.Error.Message}").ConfigureAwait(false);
                        }

                        break;
                    case SignHostCertificateBatchResponse.EventOneofCase.Summary:
                        summary = e.Summary;
                        break;
                }
            }

            summary ??= new BatchSummary();
            var failures = results.Select((r, i) => (r, i)).Where(x => x.r?.Certificate is null).ToList();
            if (json)
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    issued = summary.Issued,
                    denied = summary.Denied,
                    invalid = summary.Invalid,
                    failed = summary.Failed,
                    touchPrompts = summary.TouchPrompts,
                    hosts = results.Select((r, i) => new
                    {
                        name = hosts[i].Names[0],
                        serial = r?.Certificate?.Serial,
                        file = r?.Certificate is null ? null : hosts[i].Output,
                        error = r?.Error?.Code,
                        reason = r?.Error?.Message,
                    }),
                })).ConfigureAwait(false);
            }
            else
            {
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Issued {summary.Issued} of {hosts.Count} host certificates; denied {summary.Denied}, invalid {summary.Invalid}, failed {summary.Failed}; touch prompts {summary.TouchPrompts}.")).ConfigureAwait(false);
                foreach (var (r, i) in failures)
                {
                    await Console.Out.WriteLineAsync($"  {hosts[i].Names[0]}: {r?.Error?.Code ?? "NO RESULT"}: {r?.Error?.Message ?? "the CA sent nothing for this host"}").ConfigureAwait(false);
                }
            }

            return failures.Count == 0 ? 0 : 1;
        });
        return command;
    }

    private static void CheckIndex(uint index, int count)
    {
        if (index >= count)
        {
            throw new IOException($"the CA answered for host {index} of a batch of {count}; stopping");
        }
    }

    /// <summary>
    /// Two entries with the same name would write two certificates to one file (the second
    /// replacing the first): refused before anything is signed, naming both (issue 13).
    /// </summary>
    private static void RefuseDuplicates(List<Host> hosts, string input)
    {
        var seen = new Dictionary<string, Host>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var host in hosts)
        {
            var output = Path.GetFullPath(host.Output);
            if (seen.TryGetValue(output, out var first))
            {
                problems.Add($"{first.Where} and {host.Where} both name {host.Names[0]} (both would be written to {host.Output})");
            }
            else
            {
                seen[output] = host;
            }
        }

        if (problems.Count > 0)
        {
            throw new UsageException($"{input}: duplicate hosts, nothing was signed:\n  {string.Join("\n  ", problems)}");
        }
    }

    private static List<Host> FromFolder(string folder, string? outDir)
    {
        var files = Directory.GetFiles(folder, "*.pub").Where(f => !f.EndsWith("-cert.pub", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (files.Count is 0 or > MaxHosts)
        {
            throw new UsageException($"{folder}: between 1 and {MaxHosts} NAME.pub files are needed, found {files.Count}");
        }

        return [.. files.Select(file =>
        {
            var name = Path.GetFileName(file)[..^".pub".Length];
            CheckName(name, file);
            var key = ParseKey(CliFiles.ReadText(file), file);
            return new Host([name], key, Path.Combine(outDir ?? folder, name + "-cert.pub"), file);
        })];
    }

    private static List<Host> FromFile(string file, string? outDir)
    {
        var hosts = new List<Host>();
        var lines = CliFiles.ReadText(file, CliFiles.MaxListFile).Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var where = $"{file}:{n + 1}";
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0)
            {
                throw new UsageException($"{where}: expected 'NAME[,NAME...] KEYTYPE BASE64 [comment]'");
            }

            var names = line[..space].Split(',');
            foreach (var name in names)
            {
                CheckName(name, where);
            }

            var key = ParseKey(line[(space + 1)..], where);
            hosts.Add(new Host(names, key, Path.Combine(outDir ?? ".", names[0] + "-cert.pub"), where));
            if (hosts.Count > MaxHosts)
            {
                throw new UsageException($"{file}: more than {MaxHosts} hosts");
            }
        }

        return hosts.Count > 0 ? hosts : throw new UsageException($"{file}: no hosts");
    }

    /// <summary>A host name (it becomes a file name too): letters, digits, '.', '-', ':'; no empty name, no path.</summary>
    private static void CheckName(string name, string where)
    {
        if (name.Length is 0 or > 253 || name[0] is '.' or '-' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':'))
        {
            throw new UsageException($"{where}: '{(name.Length > 64 ? name[..64] + "…" : name)}' is not a host name (letters, digits, '.', '-', ':'; not empty, not starting with '.' or '-')");
        }
    }

    private static SshPublicKey ParseKey(string line, string where)
    {
        try
        {
            return SshPublicKey.ParseLine(line.Trim());
        }
        catch (Ssh.SshFormatException e)
        {
            throw new UsageException($"{where}: not an OpenSSH public key: {e.Message}");
        }
    }
}
