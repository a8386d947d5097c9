using System.Buffers;
using BenchmarkDotNet.Attributes;
using Baton.Secrets.Redaction;

namespace Baton.Bench.Redaction;

/// <summary>The alternative the redactor did not take: <see cref="SearchValues{T}"/> over the same patterns, build
/// and a no-match scan of the same 1 MB (it only finds candidate positions; the longest match would still be
/// looked up after each hit).</summary>
[MemoryDiagnoser]
[MedianColumn]
public class SearchValuesComparison
{
    private string[] _patterns = [];
    private string _withoutSecrets = "";
    private SearchValues<string>? _searchValues;

    [GlobalSetup]
    public void Setup()
    {
        var entries = RedactionWorkload.Entries(10_000, seed: 1);
        _patterns = [.. entries.SelectMany(e => SecretEncodings.Of(e.Value, 8)).Distinct(StringComparer.Ordinal)];
        _withoutSecrets = RedactionWorkload.RunData(1 << 20, [], seed: 2);
        _searchValues = SearchValues.Create(_patterns, StringComparison.Ordinal);
    }

    [Benchmark]
    public SearchValues<string> SearchValuesBuild() => SearchValues.Create(_patterns, StringComparison.Ordinal);

    [Benchmark]
    public int SearchValuesScanOneMegabyteNoMatch() => _withoutSecrets.AsSpan().IndexOfAny(_searchValues!);
}
