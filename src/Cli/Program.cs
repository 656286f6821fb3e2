using System.CommandLine;
using Google.Rpc;
using Grpc.Core;
using SshHsmCa.Ssh;

namespace SshHsmCa.Cli;

/// <summary>
/// <c>ssh-hsm-ca</c>: the client for users, hosts and operators. Exit codes: 0 done, 1 refused or
/// failed, 2 usage (with the command's help), 3 the CA could not be reached (naming the address
/// and the cause).
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = CliApp.Build();
        var result = root.Parse(args);
        // "[suggest:N]" (shell completion) answers whatever was typed so far, errors and all.
        if (result.Errors.Count > 0 && !(args.Length > 0 && args[0].StartsWith("[suggest", StringComparison.Ordinal)))
        {
            foreach (var error in result.Errors)
            {
                await Console.Error.WriteLineAsync($"ssh-hsm-ca: {error.Message}").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync().ConfigureAwait(false);
            WriteHelp(root, result, Console.Error);
            return 2;
        }

        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {e.Message}\n").ConfigureAwait(false);
            WriteHelp(root, result, Console.Error);
            return 2;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            // Our own deadline (DeadlineInterceptor): the CA accepted the call and did not answer.
            var where = Connection.Current is { } current ? $"{current.Describe()} did not answer within {TimeText.Span((ulong)current.Timeout.TotalSeconds)}" : "the CA did not answer in time";
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {where} (--timeout); nothing more was written").ConfigureAwait(false);
            return 3;
        }
        catch (RpcException e) when (ConnectionFailure.Describe(e) is { } unreachable)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {unreachable}").ConfigureAwait(false);
            return 3;
        }
        catch (RpcException e)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {Describe(e)}").ConfigureAwait(false);
            return e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded ? 3 : 1;
        }
        catch (RefusedUpdateException e)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (ConnectionException e)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {e.Message}").ConfigureAwait(false);
            return 3;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SshFormatException or System.Security.Cryptography.CryptographicException)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception e)
        {
            // A bug: say what it was in one line, never a stack trace.
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: internal error ({e.GetType().Name}): {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The help of the command the command line got to (the whole tool's for none).</summary>
    private static void WriteHelp(RootCommand root, ParseResult result, TextWriter output)
    {
        var path = new Stack<string>();
        for (var command = result.CommandResult; command.Parent is System.CommandLine.Parsing.CommandResult parent; command = parent)
        {
            path.Push(command.Command.Name);
        }

        root.Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = output });
    }

    private static string Describe(RpcException e)
    {
        var status = e.GetRpcStatus();
        var details = new List<string>();
        if (status?.GetDetail<BadRequest>() is { } bad)
        {
            details.AddRange(bad.FieldViolations.Select(v => $"  {v.Field}: {v.Description}"));
        }

        if (status?.GetDetail<PreconditionFailure>() is { } denied)
        {
            details.AddRange(denied.Violations.Select(v => $"  {v.Type} ({v.Subject}): {v.Description}"));
        }

        return $"{e.StatusCode}: {e.Status.Detail}" + (details.Count > 0 ? "\n" + string.Join("\n", details) : string.Empty);
    }
}
