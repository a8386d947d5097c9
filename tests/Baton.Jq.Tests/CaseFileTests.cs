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
        Parallel.ForEach(Cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            string? failure = null;
            if (c.MustFail)
            {
                var r = JqCli.Run(["-n", c.Program], "");
                if (r.ExitCode != 3) failure = $"line {c.Line}: {c.Program}\n  jq exit code {r.ExitCode}, not a compile error (3)";
            }
            else
            {
                var r = JqCli.Run(["-c", c.Program], c.Input!);
                var expected = c.Expected.Select(e => JsonNode.Parse(e)).ToList();
                if (r.ExitCode != 0) failure = $"line {c.Line}: {c.Program}\n  jq failed ({r.ExitCode}): {r.Stderr.Trim()}";
                else if (!JsonCompare.Same(expected, JqCli.ParseLines(r.Stdout)))
                    failure = $"line {c.Line}: {c.Program}\n  expected {JsonCompare.Show(expected)}\n  jq       {r.Stdout.Trim()}";
            }
            if (failure is not null) lock (gate) failures.Add(failure);
        });
        Assert.True(failures.Count == 0, $"{failures.Count} cases disagree with jq 1.6:\n" + string.Join("\n", failures));
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
