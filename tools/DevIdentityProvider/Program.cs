using System.Globalization;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace SshHsmCa.DevIdentityProvider;

/// <summary>
/// A development OpenID Connect provider (OpenIddict's server) on 127.0.0.1 for the quick start
/// and the tests: discovery, JWKS, the authorization code flow with PKCE and the device flow, for
/// one public client, approving one configured user automatically. Never for production: anyone
/// who reaches the port is that user.
/// </summary>
public static class Program
{
    /// <summary>Entry point: <c>--port N --user NAME [--email E] [--groups a,b] [--client-id ID] [--redirect-port N]</c>.</summary>
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal) { ["--client-id"] = "ssh-hsm-ca", ["--redirect-port"] = "18765", ["--groups"] = "ssh-users" };
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            settings[args[i]] = args[i + 1];
        }

        if (!settings.TryGetValue("--port", out var portText) || !int.TryParse(portText, CultureInfo.InvariantCulture, out var port) || !settings.TryGetValue("--user", out var user))
        {
            await Console.Error.WriteLineAsync("usage: ssh-hsm-ca-dev-idp --port N --user NAME [--email E] [--groups a,b] [--client-id ID] [--redirect-port N]").ConfigureAwait(false);
            return 2;
        }

        var issuer = new Uri($"http://127.0.0.1:{port}/");
        var email = settings.GetValueOrDefault("--email") ?? $"{user}@example.test";
        var groups = settings["--groups"].Split(',', StringSplitOptions.RemoveEmptyEntries);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddDbContext<DbContext>(o =>
        {
            o.UseInMemoryDatabase("dev-idp");
            o.UseOpenIddict();
        });
        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<DbContext>())
            .AddServer(o =>
            {
                o.SetIssuer(issuer);
                o.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetDeviceAuthorizationEndpointUris("connect/device")
                    .SetEndUserVerificationEndpointUris("connect/verify");
                o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange().AllowDeviceAuthorizationFlow();
                o.RegisterScopes(Scopes.OpenId, Scopes.Email, Scopes.Profile);
                o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                o.DisableAccessTokenEncryption();
                o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndUserVerificationEndpointPassthrough()
                    .DisableTransportSecurityRequirement();
            });
        builder.Services.AddAuthentication();

        var app = builder.Build();
        var scope = app.Services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            var client = new OpenIddictApplicationDescriptor
            {
                ClientId = settings["--client-id"],
                ClientType = ClientTypes.Public,
                DisplayName = "ssh-hsm-ca",
                RedirectUris = { new Uri($"http://127.0.0.1:{settings["--redirect-port"]}/callback") },
                Permissions =
                {
                    Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.DeviceAuthorization,
                    Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.DeviceCode,
                    Permissions.ResponseTypes.Code, Permissions.Scopes.Email, Permissions.Scopes.Profile,
                },
                Requirements = { Requirements.Features.ProofKeyForCodeExchange },
            };
            await applications.CreateAsync(client).ConfigureAwait(false);
        }

        ClaimsPrincipal Principal(IEnumerable<string> scopes)
        {
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, "sub-" + user)
                .SetClaim(Claims.PreferredUsername, user)
                .SetClaim(Claims.Name, user)
                .SetClaim(Claims.Email, email)
                .SetClaim(Claims.EmailVerified, true)
                .SetClaims("groups", [.. groups]);
            identity.SetScopes(scopes);
            identity.SetDestinations(static _ => [Destinations.IdentityToken, Destinations.AccessToken]);
            return new ClaimsPrincipal(identity);
        }

        // The user "logs in" by reaching the page: approval is automatic.
        app.MapMethods("connect/authorize", ["GET", "POST"], async context =>
        {
            var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("not an OpenID Connect request");
            await context.SignInAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Principal(request.GetScopes())).ConfigureAwait(false);
        });
        app.MapMethods("connect/verify", ["GET", "POST"], async context =>
        {
            var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme).ConfigureAwait(false);
            if (!result.Succeeded || string.IsNullOrEmpty(result.Principal?.GetClaim(Claims.ClientId)))
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsync("unknown or expired user code").ConfigureAwait(false);
                return;
            }

            await context.SignInAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Principal(result.Principal.GetScopes()), new AuthenticationProperties { RedirectUri = "/approved" }).ConfigureAwait(false);
        });
        app.MapGet("approved", () => "Device approved. Return to the terminal.");

        await app.StartAsync().ConfigureAwait(false);
        await Console.Out.WriteLineAsync($"ssh-hsm-ca-dev-idp: ready at {issuer} for user {user}").ConfigureAwait(false);
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }
}
