using Microsoft.AspNetCore.Connections.Features;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// Serves an endpoint only on the listener it belongs to. Endpoints say where they belong with
/// <see cref="OnlyOn"/> metadata (none: the API); connections say where they came from through an
/// item their listener sets. Runs after routing, so the decision is the matched endpoint's, with
/// every case variant, trailing slash or encoding routing accepts; an unmatched request on the
/// publish or metrics listener is 404 there too.
/// </summary>
internal static class ListenerGate
{
    private const string ItemKey = "sshhsmca.listener";

    /// <summary>Endpoint metadata: the listener an endpoint is served on.</summary>
    public sealed record OnlyOn(Listener Listener);

    /// <summary>Marks every connection of a listener as coming through <paramref name="listener"/>.</summary>
    public static void Mark(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen, Listener listener)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Use(next => connection =>
        {
            connection.Items[ItemKey] = listener;
            return next(connection);
        });
    }

    /// <summary>The listener a request came through (unmarked: the API's, the TLS listener and the socket).</summary>
    public static Listener Of(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var value) == true && value is Listener listener ? listener : Listener.Api;

    /// <summary>Whether the matched endpoint (or none) may be served on the request's listener.</summary>
    public static bool Allows(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var listener = Of(context);
        if (context.GetEndpoint() is not { } endpoint)
        {
            // Nothing matched: gRPC answers unknown methods itself on the API; elsewhere 404.
            return listener == Listener.Api;
        }

        return (endpoint.Metadata.GetMetadata<OnlyOn>()?.Listener ?? Listener.Api) == listener;
    }

    /// <summary>Adds the gate after routing: a request for another listener's endpoint is 404.</summary>
    public static void Use(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRouting();
        app.Use((context, next) =>
        {
            if (!Allows(context))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
    }
}
