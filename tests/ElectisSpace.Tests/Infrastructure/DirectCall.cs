using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>The answer of a handler or trigger called in process: status, headers and body text.</summary>
public sealed record DirectAnswer(int Status, IHeaderDictionary Headers, string Body)
{
    public JsonElement Json => Body.Length == 0 ? default : JsonDocument.Parse(Body).RootElement.Clone();
    public string? ErrorCode => Body.Length > 0 && Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("error", out var e)
        ? e.GetProperty("code").GetString() : null;
}

/// <summary>
/// Calls a handler or a Functions trigger without any host: a real DefaultHttpContext whose RequestServices come from
/// the given container (in a request scope), with method, path, route values, headers and body set as a host would,
/// then executes the returned IResult against that context as the host does.
/// </summary>
public static class DirectCall
{
    public static async Task<DirectAnswer> InvokeAsync(IServiceProvider services, string method, string path,
        Func<HttpRequest, Task<Microsoft.AspNetCore.Http.IResult>> call, string? accessToken = null, string? json = null,
        IDictionary<string, string>? routeValues = null, Action<HttpContext>? configure = null)
    {
        await using var scope = services.CreateAsyncScope();
        var ctx = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        ctx.Request.Method = method;
        ctx.Request.Scheme = "http";
        ctx.Request.Host = new HostString("127.0.0.1");
        var q = path.IndexOf('?');
        ctx.Request.Path = q < 0 ? path : path[..q];
        if (q >= 0) ctx.Request.QueryString = new QueryString(path[q..]);
        ctx.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        if (accessToken is not null) ctx.Request.Headers.Authorization = "Bearer " + accessToken;
        if (json is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            ctx.Request.ContentType = "application/json";
            ctx.Request.ContentLength = bytes.Length;
            ctx.Request.Body = new MemoryStream(bytes);
        }
        if (routeValues is not null) ctx.Request.RouteValues = new RouteValueDictionary(routeValues.ToDictionary(kv => kv.Key, kv => (object?)kv.Value));
        configure?.Invoke(ctx);
        var responseBody = new MemoryStream();
        ctx.Response.Body = responseBody;

        var result = await call(ctx.Request);
        await result.ExecuteAsync(ctx);
        return new DirectAnswer(ctx.Response.StatusCode, ctx.Response.Headers, Encoding.UTF8.GetString(responseBody.ToArray()));
    }
}
