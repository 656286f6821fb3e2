namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>Conditional GETs on the publish listener: the one check of <c>If-None-Match</c> against a resource's entity tag.</summary>
internal static class EntityTags
{
    /// <summary>Sets the response's ETag; true (and 304 set) when the request already holds it.</summary>
    public static bool NotModified(HttpContext context, string tag)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.ETag = tag;
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == tag || t.Trim() == "*")))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return true;
        }

        return false;
    }
}
