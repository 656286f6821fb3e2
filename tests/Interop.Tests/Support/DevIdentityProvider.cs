using System.Diagnostics;
using System.Globalization;
using System.Text;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>The development OpenID Connect provider (OpenIddict) as a process on a free loopback port.</summary>
public sealed class DevIdentityProvider : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DevIdentityProvider(Process process, string issuer)
    {
        _process = process;
        Issuer = issuer;
    }

    /// <summary>The issuer URL (with its trailing slash, as in the tokens).</summary>
    public string Issuer { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The one redirect URI port the provider accepts for the browser flow.</summary>
    public int RedirectPort { get; private init; }

    public static async Task<DevIdentityProvider> StartAsync(string user)
    {
        var port = Repository.FreePort();
        var redirectPort = Repository.FreePort();
        var start = new ProcessStartInfo("/usr/bin/dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Repository.Binary("DevIdentityProvider", "ssh-hsm-ca-dev-idp.dll", "tools"), "--port", port.ToString(CultureInfo.InvariantCulture), "--user", user, "--redirect-port", redirectPort.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        var idp = new DevIdentityProvider(Process.Start(start)!, $"http://127.0.0.1:{port}/") { RedirectPort = redirectPort };
        idp._process.OutputDataReceived += (_, e) => { lock (idp._output) { idp._output.AppendLine(e.Data); } };
        idp._process.ErrorDataReceived += (_, e) => { lock (idp._output) { idp._output.AppendLine(e.Data); } };
        idp._process.BeginOutputReadLine();
        idp._process.BeginErrorReadLine();
        for (var i = 0; i < 300 && !idp.Output.Contains("ready at", StringComparison.Ordinal); i++)
        {
            if (idp._process.HasExited)
            {
                throw new InvalidOperationException($"the identity provider exited: {idp.Output}");
            }

            await Task.Delay(100);
        }

        return idp.Output.Contains("ready at", StringComparison.Ordinal) ? idp : throw new TimeoutException($"the identity provider did not start: {idp.Output}");
    }

    /// <summary>An ID token by the device flow over plain HTTP, as an automation pipeline would get one.</summary>
    public static async Task<string> FetchIdTokenAsync(DevIdentityProvider idp)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var deviceResponse = await http.PostAsync(new Uri(idp.Issuer + "connect/device"), new FormUrlEncodedContent(new Dictionary<string, string>(StringComparer.Ordinal) { ["client_id"] = "ssh-hsm-ca", ["scope"] = "openid profile email" }));
        using var device = System.Text.Json.JsonDocument.Parse(await deviceResponse.Content.ReadAsStringAsync());
        using (await http.GetAsync(new Uri(device.RootElement.GetProperty("verification_uri_complete").GetString()!)))
        {
        }

        using var tokenResponse = await http.PostAsync(new Uri(idp.Issuer + "connect/token"), new FormUrlEncodedContent(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["client_id"] = "ssh-hsm-ca",
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
            ["device_code"] = device.RootElement.GetProperty("device_code").GetString()!,
        }));
        using var token = System.Text.Json.JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync());
        return token.RootElement.GetProperty("id_token").GetString()!;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
