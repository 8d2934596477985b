namespace ElectisSpace.Core.Pipeline;

/// <summary>
/// Response headers every answer of the API carries, in both hosts (Standalone middleware, Functions worker middleware):
/// no MIME sniffing, no referrer, never framed, no caching of anything answered to a signed-in caller (it may hold
/// personal data), and HSTS when the request came over HTTPS.
/// </summary>
public static class SecurityHeaders
{
    public static void Apply(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var ctx = (HttpContext)state;
            var h = ctx.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h["Referrer-Policy"] = "no-referrer";
            h.XFrameOptions = "DENY";
            if (!h.ContainsKey("Content-Security-Policy")) h.ContentSecurityPolicy = "frame-ancestors 'none'";
            if (ctx.Request.Headers.ContainsKey("Authorization") || ctx.Request.Cookies.Count > 0 || ctx.Request.Path.StartsWithSegments("/api/auth"))
                h.CacheControl = "no-store";
            if (ctx.Request.IsHttps) h.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            h.Remove("Server");
            return Task.CompletedTask;
        }, context);
    }
}
