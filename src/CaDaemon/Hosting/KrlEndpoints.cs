using System.Globalization;
using SshHsmCa.CaDaemon.Revocation;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// The KRL as plain HTTPS GETs on the publish listener, for hosts without the CLI:
/// <c>/krl</c> (application/octet-stream), <c>/krl.sig</c> (the armored SSHSIG) and
/// <c>/krl.version</c> (the version as text). Each carries the version's entity tag and answers
/// <c>If-None-Match</c> with 304, so polling every few minutes costs a header.
/// </summary>
internal static class KrlEndpoints
{
    /// <summary>Maps the three GETs, served on the publish listener only (<see cref="ListenerGate"/>).</summary>
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var only = new ListenerGate.OnlyOn(Listener.Publish);
        app.MapGet("/krl", (HttpContext context, KrlPublisher krls) => ServeAsync(context, krls, k => (k.Krl, "application/octet-stream"))).WithMetadata(only);
        app.MapGet("/krl.sig", (HttpContext context, KrlPublisher krls) => ServeAsync(context, krls, k => (System.Text.Encoding.ASCII.GetBytes(k.Signature), "text/plain; charset=us-ascii"))).WithMetadata(only);
        app.MapGet("/krl.version", (HttpContext context, KrlPublisher krls) => ServeAsync(context, krls, k => (System.Text.Encoding.ASCII.GetBytes(k.Version.ToString(CultureInfo.InvariantCulture) + "\n"), "text/plain; charset=us-ascii"))).WithMetadata(only);
    }

    private static async Task ServeAsync(HttpContext context, KrlPublisher krls, Func<SignedKrl, (byte[] Body, string Type)> select)
    {
        SignedKrl krl;
        try
        {
            krl = await krls.CurrentAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Hsm.HsmException)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "30";
            return;
        }

        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-KRL-Version"] = krl.Version.ToString(CultureInfo.InvariantCulture);
        if (EntityTags.NotModified(context, krl.ETag))
        {
            return;
        }

        var (body, type) = select(krl);
        context.Response.ContentType = type;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
