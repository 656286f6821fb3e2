using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Duende.IdentityModel.Client;
using Duende.IdentityModel.OidcClient;
using Duende.IdentityModel.OidcClient.Browser;

namespace SshHsmCa.Cli;

/// <summary>
/// Gets an ID token from the CA's identity provider: the authorization code flow with PKCE and a
/// loopback redirect (RFC 8252) through Duende's OidcClient, or the device authorization grant
/// (RFC 8628) for a machine without a browser. The token is handed to the CA and never written.
/// </summary>
internal static class OidcSignIn
{
    /// <summary>The browser flow: opens the system browser (or <c>$BROWSER</c>) and waits on 127.0.0.1 for the redirect.</summary>
    public static async Task<string> BrowserAsync(string issuer, string clientId, IEnumerable<string> scopes, int redirectPort, TextWriter status, CancellationToken cancellationToken)
    {
        using var browser = new LoopbackBrowser(status, redirectPort);
        var options = new OidcClientOptions
        {
            Authority = issuer,
            ClientId = clientId,
            Scope = string.Join(' ', scopes),
            RedirectUri = browser.RedirectUri,
            Browser = browser,
            LoadProfile = false,
        };
        options.Policy.Discovery.RequireHttps = !IsLoopbackHttp(issuer);
        var result = await new OidcClient(options).LoginAsync(new LoginRequest(), cancellationToken).ConfigureAwait(false);
        if (result.IsError)
        {
            throw new IOException($"sign-in failed: {result.Error}{(string.IsNullOrEmpty(result.ErrorDescription) ? string.Empty : " (" + result.ErrorDescription + ")")}");
        }

        return result.IdentityToken ?? throw new IOException("the identity provider returned no ID token (is the openid scope allowed?)");
    }

    /// <summary>The device flow: prints where to go and the code, then polls the token endpoint.</summary>
    public static async Task<string> DeviceAsync(string issuer, string clientId, IEnumerable<string> scopes, TextWriter status, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var discovery = await http.GetDiscoveryDocumentAsync(new DiscoveryDocumentRequest
        {
            Address = issuer,
            Policy = { RequireHttps = !IsLoopbackHttp(issuer) },
        }, cancellationToken).ConfigureAwait(false);
        if (discovery.IsError)
        {
            throw new IOException($"the identity provider's discovery document at {issuer}: {discovery.Error}");
        }

        if (string.IsNullOrEmpty(discovery.DeviceAuthorizationEndpoint))
        {
            throw new IOException($"the identity provider {issuer} offers no device authorization endpoint; log in with the browser flow");
        }

        var device = await http.RequestDeviceAuthorizationAsync(new DeviceAuthorizationRequest
        {
            Address = discovery.DeviceAuthorizationEndpoint,
            ClientId = clientId,
            Scope = string.Join(' ', scopes),
        }, cancellationToken).ConfigureAwait(false);
        if (device.IsError)
        {
            throw new IOException($"device authorization refused: {device.Error}");
        }

        await status.WriteLineAsync($"To log in, open {device.VerificationUriComplete ?? device.VerificationUri} and enter the code {device.UserCode}").ConfigureAwait(false);
        await status.FlushAsync(cancellationToken).ConfigureAwait(false);
        var interval = TimeSpan.FromSeconds(Math.Clamp(device.Interval, 1, 60));
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * Math.Clamp(device.ExpiresIn ?? 600, 30, 1800));
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            var token = await http.RequestDeviceTokenAsync(new DeviceTokenRequest
            {
                Address = discovery.TokenEndpoint,
                ClientId = clientId,
                DeviceCode = device.DeviceCode!,
            }, cancellationToken).ConfigureAwait(false);
            if (!token.IsError)
            {
                return token.IdentityToken ?? throw new IOException("the identity provider returned no ID token (is the openid scope allowed?)");
            }

            switch (token.Error)
            {
                case "authorization_pending":
                    continue;
                case "slow_down":
                    interval += TimeSpan.FromSeconds(5);
                    continue;
                default:
                    throw new IOException($"device login failed: {token.Error}{(string.IsNullOrEmpty(token.ErrorDescription) ? string.Empty : " (" + token.ErrorDescription + ")")}");
            }
        }

        throw new IOException("the device code expired before the login was approved");
    }

    /// <summary>http:// is accepted only for an identity provider on this machine (development, tests).</summary>
    public static bool IsLoopbackHttp(string issuer) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback;

    /// <summary>RFC 8252 §7.3: a one-shot HTTP listener on 127.0.0.1 and an ephemeral port.</summary>
    private sealed class LoopbackBrowser : IBrowser, IDisposable
    {
        private readonly TcpListener _listener;
        private readonly TextWriter _status;

        /// <summary>Port 0: any free port (RFC 8252 §7.3); a fixed one for providers that register the exact redirect URI.</summary>
        public LoopbackBrowser(TextWriter status, int port)
        {
            _status = status;
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            RedirectUri = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/callback";
        }

        public string RedirectUri { get; }

        public async Task<BrowserResult> InvokeAsync(BrowserOptions options, CancellationToken cancellationToken = default)
        {
            await _status.WriteLineAsync($"Opening the browser to log in; if it does not open, visit:\n  {options.StartUrl}").ConfigureAwait(false);
            Launch(options.StartUrl);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(5));
            try
            {
                using var client = await _listener.AcceptTcpClientAsync(timeout.Token).ConfigureAwait(false);
                var stream = client.GetStream();
                await using var disposeStream = stream.ConfigureAwait(false);
                using var reader = new StreamReader(stream, leaveOpen: true);
                var requestLine = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) ?? string.Empty;
                var parts = requestLine.Split(' ');
                var target = parts.Length >= 2 && parts[0] == "GET" && parts[1].StartsWith("/callback", StringComparison.Ordinal) ? parts[1] : null;
                var body = target is null ? "Unexpected request." : "Login complete. You can close this window and return to the terminal.";
                var response = $"HTTP/1.1 {(target is null ? "400 Bad Request" : "200 OK")}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {System.Text.Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
                await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(response), timeout.Token).ConfigureAwait(false);
                return target is null
                    ? new BrowserResult { ResultType = BrowserResultType.UnknownError, Error = "unexpected request on the loopback redirect" }
                    : new BrowserResult { ResultType = BrowserResultType.Success, Response = "http://127.0.0.1" + target };
            }
            catch (OperationCanceledException)
            {
                return new BrowserResult { ResultType = BrowserResultType.Timeout, Error = "no redirect from the browser within 5 minutes" };
            }
        }

        private static void Launch(string url)
        {
            var command = Environment.GetEnvironmentVariable("BROWSER");
            var start = new ProcessStartInfo(string.IsNullOrEmpty(command) ? "xdg-open" : command) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(url);
            try
            {
                using var process = Process.Start(start);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // No browser launcher here: the URL printed above is the way.
            }
        }

        public void Dispose() => _listener.Stop();
    }
}
