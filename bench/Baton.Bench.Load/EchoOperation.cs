using System.Net.Http.Headers;
using System.Text;

namespace Baton.Bench.Load;

/// <summary>The ceiling measurement: POST a small JSON body (plus the variant's headers) straight to the echo peer.</summary>
internal sealed class EchoOperation(HttpClient http, Uri echoUri, IReadOnlyDictionary<string, string> headers) : ILoadOperation
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly KeyValuePair<string, string>[] headers = [.. headers];

    public async ValueTask<string?> RunOnceAsync(long sequence, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, echoUri);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"n":{{sequence}}}"""));
        request.Content.Headers.ContentType = Json;
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return response.IsSuccessStatusCode ? null : $"http {(int)response.StatusCode}";
    }
}
