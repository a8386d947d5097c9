using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Baton.Bench.Load;

/// <summary>
/// One synchronous workflow run: POST /api/workflow/execute/bench_three_step/1?waitForSeconds=W with
/// {"name","version","input":{"n"}}. Counted only when status is COMPLETED and output.d == 2n; anything
/// else is an error bucketed by reason, with the first response of each reason kept as a sample.
/// </summary>
internal sealed class ExecuteOperation(BatonApi api, int waitForSeconds, int version = BenchWorkflow.Version, string name = BenchWorkflow.Name) : ICheckedOperation
{
    private const int MaxSamples = 20;

    private readonly string path = string.Create(
        CultureInfo.InvariantCulture,
        $"api/workflow/execute/{name}/{version}?waitForSeconds={waitForSeconds}");

    private readonly ConcurrentDictionary<string, string> samples = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> ErrorSamples => samples;

    public async ValueTask<string?> RunOnceAsync(long sequence, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $$$"""{"name":"{{{name}}}","version":{{{version}}},"input":{"n":{{{sequence}}}}}"""));
        using var request = api.CreateRequest(HttpMethod.Post, path, body);
        using var response = await api.SendAsync(request, cancellationToken);
        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return Fail($"http {(int)response.StatusCode}", content);
        }

        try
        {
            return Check(content, sequence);
        }
        catch (JsonException)
        {
            return Fail("response not JSON", content);
        }
    }

    private string? Check(byte[] content, long n)
    {
        using var document = JsonDocument.Parse(content);
        var run = document.RootElement;
        if (run.ValueKind != JsonValueKind.Object
            || !run.TryGetProperty("status", out var status)
            || status.ValueKind != JsonValueKind.String)
        {
            return Fail("no status", content);
        }

        if (!status.ValueEquals("COMPLETED"u8))
        {
            return Fail($"status {status.GetString()}", content);
        }

        if (!run.TryGetProperty("output", out var output)
            || output.ValueKind != JsonValueKind.Object
            || !output.TryGetProperty("d", out var d))
        {
            return Fail("output.d missing", content);
        }

        if (d.ValueKind != JsonValueKind.Number)
        {
            return Fail($"output.d is {d.ValueKind}", content);
        }

        var expected = 2 * n;
        var correct = d.TryGetInt64(out var whole) ? whole == expected : d.GetDouble() == expected;
        return correct ? null : Fail("output.d wrong", content);
    }

    private string Fail(string reason, byte[] content)
    {
        if (samples.Count < MaxSamples)
        {
            samples.TryAdd(reason, BatonApi.Truncate(Encoding.UTF8.GetString(content), 600));
        }

        return reason;
    }
}
