using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ElectisSpace.Tests.Infrastructure;

public static class HttpAssert
{
    /// <summary>Asserts the status and, for errors, the envelope and its code; returns the parsed body.</summary>
    public static async Task<JsonElement> Status(HttpResponseMessage res, HttpStatusCode expected, string? errorCode = null)
    {
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == expected, $"expected {(int)expected} but got {(int)res.StatusCode}: {text}");
        if (text.Length == 0) return default;
        var body = JsonDocument.Parse(text).RootElement.Clone();
        if (errorCode is not null)
        {
            var error = body.GetProperty("error");
            Assert.Equal(errorCode, error.GetProperty("code").GetString());
            Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
            Assert.True(error.TryGetProperty("details", out _), "the error envelope always carries details (possibly null)");
        }
        return body;
    }

    public static Task<HttpResponseMessage> PatchAsJsonAsync<T>(this HttpClient c, string url, T body) =>
        c.SendAsync(new HttpRequestMessage(HttpMethod.Patch, url) { Content = JsonContent.Create(body) });
}
