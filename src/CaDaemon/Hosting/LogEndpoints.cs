using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.CaDaemon.Transparency;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// The issuance log as static C2SP tlog-tiles on the publish listener, for verifiers and
/// witnesses without credentials: <c>/log/checkpoint</c> (the signed note),
/// <c>/log/checkpoint.sig</c> (this appliance's SSHSIG over the checkpoint text),
/// <c>/log/tile/L/N[.p/W]</c> (256 hashes of tree level 8·L from index 256·N, or the first W) and,
/// when <c>log.publishEntries</c> is on, <c>/log/tile/entries/N[.p/W]</c> (the leaves, each with a
/// two-byte big-endian length). Full tiles never change (cached for a year, immutable); partial
/// tiles and the checkpoint carry entity tags and answer <c>If-None-Match</c>.
/// </summary>
internal static class LogEndpoints
{
    /// <summary>Hashes per tile (tile height 8).</summary>
    private const int Width = 256;

    /// <summary>Maps the GETs, on the publish listener only.</summary>
    public static void Map(WebApplication app, bool publishEntries)
    {
        ArgumentNullException.ThrowIfNull(app);
        var only = new ListenerGate.OnlyOn(Listener.Publish);
        app.MapGet("/log/checkpoint", (HttpContext context, IssuanceLog log) => CheckpointAsync(context, log, c => Encoding.UTF8.GetBytes(c.Note))).WithMetadata(only);
        app.MapGet("/log/checkpoint.sig", (HttpContext context, IssuanceLog log) => CheckpointAsync(context, log, c => c.SshSigs.TryGetValue(log.Signer!.Name, out var sshsig) ? Encoding.ASCII.GetBytes(sshsig) : null)).WithMetadata(only);
        app.MapGet("/log/tile/{**path}", (HttpContext context, string path, ILogStore store) => TileAsync(context, path, store, publishEntries)).WithMetadata(only);
    }

    private static async Task CheckpointAsync(HttpContext context, IssuanceLog log, Func<SignedCheckpoint, byte[]?> body)
    {
        SignedCheckpoint checkpoint;
        try
        {
            checkpoint = await log.LatestAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (RefusedException e)
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, e.Message + "\n").ConfigureAwait(false);
            return;
        }

        if (body(checkpoint) is not { } bytes)
        {
            // Another appliance signed the latest tree and this one has not yet (it will at its next period).
            await PlainAsync(context, StatusCodes.Status404NotFound, "this appliance has not signed the latest checkpoint yet; ask again in a few seconds\n").ConfigureAwait(false);
            return;
        }

        var tag = string.Create(CultureInfo.InvariantCulture, $"\"{checkpoint.Size}-{Convert.ToHexStringLower(checkpoint.Root.AsSpan(0, 8))}\"");
        await SendAsync(context, bytes, tag, "no-cache", "text/plain; charset=utf-8").ConfigureAwait(false);
    }

    private static async Task TileAsync(HttpContext context, string path, ILogStore store, bool publishEntries)
    {
        if (!TryParse(path, out var level, out var index, out var width))
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, "not a tile path: tile/L/N[.p/W] or tile/entries/N[.p/W], N in groups of three digits (x001/234)\n").ConfigureAwait(false);
            return;
        }

        if (level < 0 && !publishEntries)
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, "the log's entries are not published here (log.publishEntries)\n").ConfigureAwait(false);
            return;
        }

        var count = width ?? Width;
        byte[] body;
        if (level < 0)
        {
            var entries = await store.LogEntriesAsync(index * Width, count, context.RequestAborted).ConfigureAwait(false);
            if (entries.Count < count)
            {
                await PlainAsync(context, StatusCodes.Status404NotFound, "no such tile yet\n").ConfigureAwait(false);
                return;
            }

            body = new byte[entries.Sum(e => 2 + e.Entry.Length)];
            var at = 0;
            foreach (var entry in entries)
            {
                BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(at), (ushort)entry.Entry.Length);
                entry.Entry.CopyTo(body.AsSpan(at + 2));
                at += 2 + entry.Entry.Length;
            }
        }
        else
        {
            var hashes = await store.LogHashesAsync(level * 8, index * Width, count, context.RequestAborted).ConfigureAwait(false);
            if (hashes.Count < count)
            {
                await PlainAsync(context, StatusCodes.Status404NotFound, "no such tile yet\n").ConfigureAwait(false);
                return;
            }

            body = [.. hashes.SelectMany(h => h)];
        }

        var tag = string.Create(CultureInfo.InvariantCulture, $"\"tile-{level}-{index}-{count}\"");
        await SendAsync(context, body, tag, width is null ? "public, max-age=31536000, immutable" : "public, max-age=60", "application/octet-stream").ConfigureAwait(false);
    }

    /// <summary>
    /// <c>L/N[.p/W]</c> with L a level (or <c>entries</c>: -1) and N in three-digit groups, every
    /// group but the last prefixed with <c>x</c>; W from 1 to 255. Strict: one spelling per tile.
    /// </summary>
    internal static bool TryParse(string path, out int level, out long index, out int? width)
    {
        level = 0;
        index = 0;
        width = null;
        var parts = path.Split('/');
        if (parts.Length < 2 || parts.Length > 9)
        {
            return false;
        }

        if (parts[0] == "entries")
        {
            level = -1;
        }
        else if (parts[0].Length is 0 or > 2 || !parts[0].All(char.IsAsciiDigit) || (parts[0].Length > 1 && parts[0][0] == '0') || (level = int.Parse(parts[0], CultureInfo.InvariantCulture)) > 7)
        {
            return false;
        }

        var groups = parts[1..];
        if (groups.Length >= 2 && groups[^2].EndsWith(".p", StringComparison.Ordinal))
        {
            var w = groups[^1];
            if (w.Length is 0 or > 3 || !w.All(char.IsAsciiDigit) || w[0] == '0' || int.Parse(w, CultureInfo.InvariantCulture) is < 1 or >= Width)
            {
                return false;
            }

            width = int.Parse(w, CultureInfo.InvariantCulture);
            groups = [.. groups[..^2], groups[^2][..^2]];
        }

        for (var i = 0; i < groups.Length; i++)
        {
            var group = groups[i];
            var last = i == groups.Length - 1;
            if (!last && !group.StartsWith('x'))
            {
                return false;
            }

            var digits = last ? group : group[1..];
            if (digits.Length != 3 || !digits.All(char.IsAsciiDigit))
            {
                return false;
            }

            index = (index * 1000) + int.Parse(digits, CultureInfo.InvariantCulture);
        }

        // One spelling (no leading all-zero group), and an index whose first leaf fits the tree's range.
        return (groups.Length == 1 || groups[0] != "x000") && groups.Length <= 6 && index < (1L << 54);
    }

    private static async Task SendAsync(HttpContext context, byte[] body, string tag, string cacheControl, string contentType)
    {
        context.Response.Headers.CacheControl = cacheControl;
        if (EntityTags.NotModified(context, tag))
        {
            return;
        }

        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task PlainAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message, context.RequestAborted);
    }
}
