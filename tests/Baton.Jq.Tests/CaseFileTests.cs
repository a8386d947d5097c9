using System.Text.Json.Nodes;

namespace Baton.Jq.Tests;

/// <summary>The cases of Cases/baton.test, run against Baton.Jq, and against Debian's jq 1.6 to prove the expected
/// outputs are jq's own.</summary>
public sealed class CaseFileTests
{
    private static readonly List<JqCase> Cases = CaseFile.Read(CaseFile.FilePath("baton.test"));

    [Fact]
    public void The_case_file_has_a_few_hundred_cases_including_compile_failures()
    {
        Assert.True(Cases.Count >= 500, $"{Cases.Count} cases");
        Assert.True(Cases.Count(c => c.MustFail) >= 15);
    }

    [Fact]
    public void Every_case_gives_the_expected_outputs_in_Baton()
    {
        var failures = new List<string>();
        foreach (var c in Cases)
        {
            if (c.MustFail)
            {
                try
                {
                    JqProgram.Compile(c.Program, variables: []);
                    failures.Add($"line {c.Line}: {c.Program}\n  compiled, but must not");
                }
                catch (JqParseException)
                {
                }
                continue;
            }
            var expected = c.Expected.Select(e => JsonNode.Parse(e)).ToList();
            try
            {
                var actual = JqProgram.Compile(c.Program, variables: []).Run(JsonNode.Parse(c.Input!));
                if (!JsonCompare.Same(expected, actual))
                    failures.Add($"line {c.Line}: {c.Program}\n  input    {c.Input}\n  expected {JsonCompare.Show(expected)}\n  actual   {JsonCompare.Show(actual)}");
            }
            catch (Exception e) when (e is JqParseException or JqRuntimeException)
            {
                failures.Add($"line {c.Line}: {c.Program}\n  input    {c.Input}\n  expected {JsonCompare.Show(expected)}\n  error    {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {Cases.Count} cases differ:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Every_expected_output_is_what_Debians_jq_prints()
    {
        JqCli.RequireInstalled();
        var failures = new List<string>();
        var gate = new object();
        var runs = Cases.Where(c => !c.MustFail).ToList();
        var batches = runs.Chunk(50).ToList();
        Parallel.ForEach(batches, new ParallelOptions { MaxDegreeOfParallelism = 2 }, batch =>
        {
            var outputs = JqOutputs(batch);
            for (var i = 0; i < batch.Length; i++)
            {
                var c = batch[i];
                var expected = c.Expected.Select(e => JsonNode.Parse(e)).ToList();
                var failure = outputs[i] is not { } actual ? $"line {c.Line}: {c.Program}\n  jq failed on it"
                    : !JsonCompare.Same(expected, actual) ? $"line {c.Line}: {c.Program}\n  expected {JsonCompare.Show(expected)}\n  jq       {JsonCompare.Show(actual)}"
                    : null;
                if (failure is not null) lock (gate) failures.Add(failure);
            }
        });
        Parallel.ForEach(Cases.Where(c => c.MustFail), new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            var r = JqCli.Run(["-n", c.Program], "");
            if (r.ExitCode != 3) lock (gate) failures.Add($"line {c.Line}: {c.Program}\n  jq exit code {r.ExitCode}, not a compile error (3)");
        });
        Assert.True(failures.Count == 0, $"{failures.Count} cases disagree with jq 1.6:\n" + string.Join("\n", failures));
    }

    /// <summary>jq's outputs for each case (null where jq failed): the batch as one jq program on one line (so $__loc__
    /// still says line 1), each case as (input | try {ok: [program]} catch {err: .}); a case on its own when that fails.</summary>
    private static List<JsonNode?>?[] JqOutputs(JqCase[] batch)
    {
        var combined = "[" + string.Join(", ", batch.Select(c => $"({c.Input} | try {{ok: [{c.Program}]}} catch {{err: .}})")) + "]";
        var r = JqCli.Run(["-n", "-c", combined], "");
        if (r.ExitCode == 0 && JqCli.ParseLines(r.Stdout) is [JsonArray all] && all.Count == batch.Length)
            return all.Select(x => ((JsonObject)x!).TryGetPropertyValue("ok", out var ok) ? ((JsonArray)ok!).Select(y => y?.DeepClone()).ToList() : null).ToArray();
        return batch.Select(c =>
        {
            var single = JqCli.Run(["-c", c.Program], c.Input!);
            return single.ExitCode == 0 ? JqCli.ParseLines(single.Stdout) : null;
        }).ToArray();
    }
}

/// <summary>Cases/differences.test: every deliberate difference from jq 1.6, with Baton's answer; jq 1.6 must answer
/// otherwise, so the list stays true.</summary>
public sealed class DifferenceFileTests
{
    private static readonly List<JqCase> Cases = CaseFile.Read(CaseFile.FilePath("differences.test"));

    [Fact]
    public void Baton_gives_the_listed_answer_and_jq_16_does_not()
    {
        JqCli.RequireInstalled();
        Assert.NotEmpty(Cases);
        var failures = new List<string>();
        foreach (var c in Cases)
        {
            var expected = c.Expected.Select(e => JsonNode.Parse(e)).ToList();
            var actual = JqProgram.Compile(c.Program, variables: []).Run(JsonNode.Parse(c.Input!));
            if (!JsonCompare.Same(expected, actual))
                failures.Add($"line {c.Line}: {c.Program}\n  expected {JsonCompare.Show(expected)}\n  Baton    {JsonCompare.Show(actual)}");
            var r = JqCli.Run(["-c", c.Program], c.Input!);
            if (r.ExitCode == 0 && JsonCompare.Same(expected, JqCli.ParseLines(r.Stdout)))
                failures.Add($"line {c.Line}: {c.Program}\n  jq 1.6 gives the same answer: this is no difference");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
