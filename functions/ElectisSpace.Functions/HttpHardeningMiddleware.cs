using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Functions;

/// <summary>
/// What the Standalone host does in its ASP.NET Core pipeline, for HTTP-triggered functions: the security headers
/// (<see cref="SecurityHeaders"/>), and the error envelope for anything that escapes before a handler's own pipeline
/// (<see cref="Api"/>) could answer, e.g. a failure while the worker binds the request.
/// </summary>
public sealed class HttpHardeningMiddleware : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var http = context.GetHttpContext();
        if (http is null) { await next(context); return; }
        SecurityHeaders.Apply(http);
        try
        {
            await next(context);
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            // No detail to the client (it may hold internals): logged here with the trace id the client is given.
            context.GetLogger("ElectisSpace.Api").LogError(e, "Unhandled error in {Function} (trace {TraceId})",
                context.FunctionDefinition.Name, http.TraceIdentifier);
            await ApiResults.Error(new ApiException(500, ErrorCodes.Internal,
                $"An unexpected error occurred. Quote trace id {http.TraceIdentifier} when reporting it.")).ExecuteAsync(http);
        }
    }
}
