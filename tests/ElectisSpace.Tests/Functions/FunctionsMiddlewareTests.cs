using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using ElectisSpace.Functions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Functions;

/// <summary>
/// The Functions app's worker middleware (security headers, the envelope for an exception that escapes a trigger), taken
/// from the app's own container (FunctionsApp.CreateBuilder registers it with UseMiddleware, which is what puts it there)
/// and run as the worker runs it: a FunctionContext carrying the invocation's HttpContext under the key the ASP.NET Core
/// integration uses, a response that starts when its body is first written, and the real trigger as `next`.
/// </summary>
public sealed class FunctionsMiddlewareTests(FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>
{
    [Fact]
    public async Task A_triggers_answer_carries_the_security_headers()
    {
        var answer = await RunAsync(async http => await (await HealthFunctions.Live(http.Request)).ExecuteAsync(http), authorization: "Bearer x");

        Assert.Equal(200, answer.Status);
        Assert.Equal("nosniff", answer.Headers.XContentTypeOptions.ToString());
        Assert.Equal("DENY", answer.Headers.XFrameOptions.ToString());
        Assert.Equal("no-referrer", answer.Headers["Referrer-Policy"].ToString());
        Assert.Equal("no-store", answer.Headers.CacheControl.ToString()); // a signed-in caller's answer is never cached
        Assert.False(answer.Headers.ContainsKey("Server"));
    }

    [Fact]
    public async Task An_exception_escaping_a_trigger_becomes_the_500_envelope_without_its_details()
    {
        var answer = await RunAsync(_ => throw new InvalidOperationException("connection string Password=hunter2"));

        Assert.Equal(500, answer.Status);
        var error = JsonDocument.Parse(answer.Body).RootElement.GetProperty("error");
        Assert.Equal("INTERNAL_ERROR", error.GetProperty("code").GetString());
        Assert.Contains("trace id", error.GetProperty("message").GetString());
        Assert.DoesNotContain("hunter2", answer.Body);
        Assert.Equal("nosniff", answer.Headers.XContentTypeOptions.ToString());
    }

    [Fact]
    public async Task An_exception_after_the_answer_started_is_left_to_the_host()
    {
        // Nothing can be rewritten once the status line went out: the exception goes on to the worker, which logs it.
        await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(async http =>
        {
            await http.Response.WriteAsync("partial");
            throw new InvalidOperationException("late");
        }));
    }

    private sealed record Answer(int Status, IHeaderDictionary Headers, string Body);

    private async Task<Answer> RunAsync(Func<HttpContext, Task> trigger, string? authorization = null)
    {
        await using var scope = app.Functions.Services.CreateAsyncScope();
        var middleware = scope.ServiceProvider.GetRequiredService<HttpHardeningMiddleware>();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var response = new StartingResponse();
        http.Features.Set<IHttpResponseFeature>(response);
        var body = new StartingBody(response);
        http.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        http.Request.Method = "GET";
        http.Request.Path = "/api/health";
        if (authorization is not null) http.Request.Headers.Authorization = authorization;

        var context = new InvocationContext(scope.ServiceProvider);
        context.Items["HttpRequestContext"] = http; // where the ASP.NET Core integration keeps it (FunctionContextExtensions.GetHttpContext)
        Assert.Same(http, context.GetHttpContext());

        await middleware.Invoke(context, _ => trigger(http));
        await response.StartAsync(); // the host sends the head if the body never did
        return new Answer(http.Response.StatusCode, http.Response.Headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    /// <summary>A response feature that runs OnStarting callbacks once, when the answer starts, as a server does.</summary>
    private sealed class StartingResponse : HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _starting = [];
        private bool _started;

        public override bool HasStarted => _started;
        public override void OnStarting(Func<object, Task> callback, object state) => _starting.Add((callback, state));

        public async Task StartAsync()
        {
            if (_started) return;
            for (var i = _starting.Count - 1; i >= 0; i--) await _starting[i].Callback(_starting[i].State);
            _started = true;
        }
    }

    /// <summary>The body stream: its first write starts the answer.</summary>
    private sealed class StartingBody(StartingResponse response) : MemoryStream
    {
        public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        {
            await response.StartAsync();
            await base.WriteAsync(buffer, offset, count, ct);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            await response.StartAsync();
            await base.WriteAsync(buffer, ct);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            response.StartAsync().GetAwaiter().GetResult();
            base.Write(buffer, offset, count);
        }
    }

    /// <summary>The invocation as the worker describes it to middleware (only what middleware reads is filled in).</summary>
    private sealed class InvocationContext(IServiceProvider services) : FunctionContext
    {
        public override string InvocationId { get; } = Guid.NewGuid().ToString();
        public override string FunctionId { get; } = "Health_Live";
        public override TraceContext TraceContext => throw new NotSupportedException();
        public override BindingContext BindingContext => throw new NotSupportedException();
        public override RetryContext RetryContext => throw new NotSupportedException();
        public override IServiceProvider InstanceServices { get; set; } = services;
        public override FunctionDefinition FunctionDefinition { get; } = new Definition();
        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
        public override IInvocationFeatures Features => throw new NotSupportedException();
    }

    private sealed class Definition : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters => [];
        public override string PathToAssembly => typeof(HealthFunctions).Assembly.Location;
        public override string EntryPoint => typeof(HealthFunctions).FullName + ".Live";
        public override string Id => "Health_Live";
        public override string Name => "Health_Live";
        public override IImmutableDictionary<string, BindingMetadata> InputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
        public override IImmutableDictionary<string, BindingMetadata> OutputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
    }
}
