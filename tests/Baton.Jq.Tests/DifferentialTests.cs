using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Baton.Jq.Tests;

/// <summary>Generated programs over generated documents, run through Baton.Jq and Debian's jq 1.6: at least 98% must
/// agree (the same outputs, or an error on both sides). Every disagreement is printed; docs/jq.md explains them.</summary>
public sealed class DifferentialTests(ITestOutputHelper output)
{
    private const int Programs = 1_500;
    private const int InputsPerProgram = 8;
    private const int Batch = 50;

    private sealed record Outcome(bool CompileError, string? Error, List<JsonNode?>? Results);

    [Fact]
    public void Generated_programs_agree_with_jq_16_on_at_least_98_percent_of_inputs()
    {
        JqCli.RequireInstalled();
        var generator = new ProgramGenerator(seed: 20261215);
        var inputs = Enumerable.Range(0, 64).Select(_ => generator.Document()).ToList();
        var cases = Enumerable.Range(0, Programs).Select(i =>
            (Program: generator.Program(), Inputs: Enumerable.Range(0, InputsPerProgram).Select(j => inputs[(i / Batch * 7 + j * 13) % inputs.Count]).ToList())).ToList();

        // One jq process per batch of programs (they share their inputs): jq's start-up dominates otherwise.
        var jqOutcomes = new List<Outcome>[cases.Count];
        Parallel.For(0, (cases.Count + Batch - 1) / Batch, new ParallelOptions { MaxDegreeOfParallelism = 2 }, b =>
        {
            var batch = cases.Skip(b * Batch).Take(Batch).ToList();
            var outcomes = RunJqBatch(batch.Select(c => c.Program).ToList(), batch[0].Inputs);
            for (var i = 0; i < batch.Count; i++) jqOutcomes[b * Batch + i] = outcomes[i];
        });

        var total = 0;
        var agree = 0;
        var compiled = 0;
        var withResults = 0;
        var disagreements = new List<string>();
        for (var i = 0; i < cases.Count; i++)
        {
            var (program, programInputs) = cases[i];
            var baton = RunBaton(program, programInputs);
            for (var j = 0; j < programInputs.Count; j++)
            {
                total++;
                var a = baton[j];
                var b = jqOutcomes[i][j];
                if (!b.CompileError) compiled++;
                if (b.Results is not null) withResults++;
                var same = (a.CompileError && b.CompileError)
                    || (a.Error is not null && b.Error is not null)
                    || (a.Results is not null && b.Results is not null && JsonCompare.Same(a.Results, b.Results));
                if (same) agree++;
                else disagreements.Add($"{program}\n    input  {ProgramGenerator.Show(programInputs[j])}\n    Baton  {Describe(a)}\n    jq 1.6 {Describe(b)}");
            }
        }
        var rate = 100.0 * agree / total;
        output.WriteLine($"{total} runs of {Programs} programs: {agree} agree ({rate:F2}%), {compiled} compiled in jq, {withResults} gave results in jq, {disagreements.Count} disagree");
        foreach (var d in disagreements) output.WriteLine(d);
        Assert.True(withResults > total / 3, $"too few runs with results ({withResults} of {total}): the corpus tests little");
        Assert.True(rate >= 98.0, $"agreement {rate:F2}% is below 98%:\n" + string.Join("\n", disagreements.Take(60)));
    }

    private static string Describe(Outcome o) =>
        o.CompileError ? $"compile error: {o.Error}" : o.Error is not null ? $"error: {o.Error}" : JsonCompare.Show(o.Results!);

    private static List<Outcome> RunBaton(string program, List<JsonNode?> inputs)
    {
        JqProgram compiled;
        var limits = JqLimits.Default with { MaxSteps = 1_000_000 };
        try
        {
            compiled = JqProgram.Compile(program, limits, variables: []);
        }
        catch (JqParseException e)
        {
            return inputs.Select(_ => new Outcome(true, e.Message, null)).ToList();
        }
        return inputs.Select(input =>
        {
            try
            {
                return new Outcome(false, null, compiled.Run(input?.DeepClone()).ToList());
            }
            catch (JqRuntimeException e)
            {
                return new Outcome(false, e.Message, null);
            }
        }).ToList();
    }

    /// <summary>Many programs in one jq process: each input gives one line, an array of {"ok": [results]} or {"err": e}
    /// per program. When the batch does not compile or jq ends early, each program runs on its own.</summary>
    private static List<Outcome>[] RunJqBatch(List<string> programs, List<JsonNode?> inputs)
    {
        var stdin = new StringBuilder();
        foreach (var input in inputs) stdin.Append(ProgramGenerator.Show(input)).Append('\n');
        var combined = "[" + string.Join(",\n", programs.Select(p => $"(try {{ok: [{p}\n]}} catch {{err: .}})")) + "]";
        var r = JqCli.Run(["-c", combined], stdin.ToString());
        var lines = r.ExitCode == 0 ? JqCli.ParseLines(r.Stdout) : [];
        if (lines.Count != inputs.Count) return programs.Select(p => RunJq(p, inputs)).ToArray();
        var result = programs.Select(_ => new List<Outcome>()).ToArray();
        foreach (var line in lines)
        {
            var perProgram = (JsonArray)line!;
            for (var i = 0; i < programs.Count; i++) result[i].Add(ToOutcome((JsonObject)perProgram[i]!));
        }
        return result;
    }

    private static Outcome ToOutcome(JsonObject o) =>
        o.TryGetPropertyValue("ok", out var ok) ? new Outcome(false, null, [.. ((JsonArray)ok!).Select(x => x?.DeepClone())]) : new Outcome(false, o["err"]?.ToJsonString() ?? "null", null);

    /// <summary>One jq process per program over all its inputs: each input gives one line, {"ok": [results]} or {"err": e}.</summary>
    private static List<Outcome> RunJq(string program, List<JsonNode?> inputs)
    {
        var stdin = new StringBuilder();
        foreach (var input in inputs) stdin.Append(ProgramGenerator.Show(input)).Append('\n');
        var r = JqCli.Run(["-c", $"try {{ok: [{program}\n]}} catch {{err: .}}"], stdin.ToString());
        if (r.ExitCode == 3) return inputs.Select(_ => new Outcome(true, r.Stderr.Trim(), null)).ToList();
        var lines = JqCli.ParseLines(r.Stdout);
        var outcomes = new List<Outcome>();
        foreach (var line in lines) outcomes.Add(ToOutcome((JsonObject)line!));
        if (outcomes.Count < inputs.Count && inputs.Count > 1)
        {
            // jq itself ended (a crash): run the rest one by one, so only the input that crashes it counts as an error.
            for (var i = outcomes.Count; i < inputs.Count; i++) outcomes.Add(RunJq(program, [inputs[i]])[0]);
        }
        else if (outcomes.Count < inputs.Count)
        {
            outcomes.Add(new Outcome(false, $"jq exited {r.ExitCode}: {r.Stderr.Trim()}", null));
        }
        return outcomes;
    }
}
