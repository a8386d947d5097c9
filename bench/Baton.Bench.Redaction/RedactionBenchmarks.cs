using System.Text;
using BenchmarkDotNet.Attributes;
using Baton.Secrets.Redaction;

namespace Baton.Bench.Redaction;

/// <summary>Redacting about 1 MB of run data with 10,000 secrets (and all their encodings) registered.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class RedactionBenchmarks
{
    private const int Secrets = 10_000;
    private const int TextChars = 1 << 20;

    private readonly SecretRedactor _redactor = new();
    private string _withSecrets = "";
    private string _withoutSecrets = "";
    private byte[] _withSecretsUtf8 = [];
    private byte[] _withoutSecretsUtf8 = [];

    [GlobalSetup]
    public void Setup()
    {
        var entries = RedactionWorkload.Entries(Secrets, seed: 1);
        _redactor.Reset(entries);
        _withSecrets = RedactionWorkload.RunData(TextChars, entries, seed: 2);
        _withoutSecrets = RedactionWorkload.RunData(TextChars, [], seed: 2);
        _withSecretsUtf8 = Encoding.UTF8.GetBytes(_withSecrets);
        _withoutSecretsUtf8 = Encoding.UTF8.GetBytes(_withoutSecrets);
        Console.WriteLine($"// patterns: {_redactor.PatternCount}, text: {_withSecrets.Length} chars, masked: {_redactor.Redact(_withSecrets).Split(SecretRedactor.Mask).Length - 1}");
    }

    [Benchmark(Baseline = true)]
    public string RedactOneMegabyteWithSecrets() => _redactor.Redact(_withSecrets);

    [Benchmark]
    public string RedactOneMegabyteNoMatch() => _redactor.Redact(_withoutSecrets);

    [Benchmark]
    public byte[]? RedactUtf8OneMegabyteWithSecrets() => _redactor.RedactUtf8(_withSecretsUtf8);

    [Benchmark]
    public byte[]? RedactUtf8OneMegabyteNoMatch() => _redactor.RedactUtf8(_withoutSecretsUtf8);
}

/// <summary>Rebuilding after one secret changed, with 10,000 registered; and a first build from nothing.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class ResetBenchmarks
{
    private const int Secrets = 10_000;

    private RedactionEntry[] _entries = [];
    private RedactionEntry[] _changed = [];
    private SecretRedactor _warm = new();
    private bool _flip;

    [GlobalSetup]
    public void Setup()
    {
        _entries = RedactionWorkload.Entries(Secrets, seed: 1);
        _changed = [.. _entries];
        _changed[Secrets / 2] = new RedactionEntry("SECRET_ROTATED", "rotated-value-0123456789-abcdef");
        _warm = new SecretRedactor();
        _warm.Reset(_entries);
    }

    [Benchmark(Baseline = true)]
    public int ResetAfterOneChange()
    {
        _flip = !_flip;
        _warm.Reset(_flip ? _changed : _entries);
        return _warm.PatternCount;
    }

    [Benchmark]
    public int ResetFromNothing()
    {
        var redactor = new SecretRedactor();
        redactor.Reset(_entries);
        return redactor.PatternCount;
    }
}
