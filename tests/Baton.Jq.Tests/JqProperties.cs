using System.Text.Json.Nodes;
using CsCheck;

namespace Baton.Jq.Tests;

/// <summary>Whatever the program text and the input, Baton.Jq gives a program or a <see cref="JqParseException"/>, and a
/// run gives results or a <see cref="JqRuntimeException"/>: never another exception, a hang or a crash.</summary>
public sealed class JqProperties
{
    private static readonly string[] GrammarTokens =
    [
        ".", "..", ".a", ".b", "[", "]", "{", "}", "(", ")", "|", ",", ":", ";", "?", "//", "=", "|=", "+=", "==", "!=", "<", ">=",
        "+", "-", "*", "/", "%", " and ", " or ", "not", "if ", " then ", " elif ", " else ", " end", "try ", " catch ", "reduce ",
        "foreach ", " as ", "$x", "$__loc__", "def f: ", "f", "label $l | ", "break $l", "\"", "\"\\(", "@base64", "@csv ", "1", "-1", "1e400",
        "\"s\"", "null", "true", "empty", "error", "map(", "select(", "recurse", "range(", "limit(", "first(", "paths", "tostream",
        "getpath([", "setpath([", "del(", "to_entries", "from_entries", "test(\"", "sub(\"", "splits(", "@sh", "implode", "explode",
        "tojson", "fromjson", "sort_by(", "group_by(", "[.[]?]", "$ENV", "input", "halt", "halt_error", "ltrimstr(", "until(", "while(",
        "repeat(", "walk(", "any(", "all(", "gmtime", "strftime(\"%c\")", "mktime", "todate", "fromdate",
    ];

    private static readonly string[] DeepUnits = ["[", "(", "{a:", "\"\\(", "-", "if . then ", ".a[", "try ", "reduce . as $x (", "def f: ", "[.[]|", "{(", "..|", "1+"];

    private static readonly JqLimits Small = JqLimits.Default with { MaxSteps = 20_000, MaxOutputs = 1_000, MaxStringLength = 100_000, MaxArrayLength = 10_000, MaxCallDepth = 200 };

    private static readonly JsonNode?[] Inputs =
    [
        null, JsonValue.Create(1), JsonValue.Create("abc"), JsonNode.Parse("[1,[2,{\"a\":3}],\"x\"]"),
        JsonNode.Parse("{\"a\":{\"b\":[1,2]},\"c\":\"d\"}"), JsonNode.Parse(string.Concat(Enumerable.Repeat("[", 60)) + string.Concat(Enumerable.Repeat("]", 60))),
    ];

    private static void CompilesAndRunsOrFailsCleanly(string text, JqLimits limits)
    {
        JqProgram program;
        try
        {
            program = JqProgram.Compile(text, limits);
        }
        catch (JqParseException e)
        {
            Assert.True(e.Line >= 1 && e.Column >= 1);
            return;
        }
        foreach (var input in Inputs)
        {
            try
            {
                _ = program.Run(input);
            }
            catch (JqRuntimeException)
            {
            }
        }
    }

    [Fact]
    public void Any_text_compiles_or_is_a_parse_error() =>
        Gen.String.Sample(text => CompilesAndRunsOrFailsCleanly(text, Small), iter: 2_000);

    [Fact]
    public void Text_made_of_jq_tokens_compiles_and_runs_or_fails_cleanly() =>
        Gen.OneOf(GrammarTokens).Array[0, 30].Select(tokens => string.Concat(tokens)).Sample(text => CompilesAndRunsOrFailsCleanly(text, Small), iter: 3_000);

    [Fact]
    public void Adversarially_deep_or_unbalanced_text_compiles_or_fails_cleanly() =>
        Gen.Select(
            Gen.OneOf("", ".", "1 as $x | ", "def g: "),
            Gen.OneOf(DeepUnits),
            Gen.Frequency((3, Gen.Int[1, 2_000]), (1, Gen.Int[2_000, 100_000])),
            Gen.OneOf("", "1", ")", "]", "}", "end", "\""),
            (prefix, unit, count, suffix) => prefix + string.Concat(Enumerable.Repeat(unit, count)) + suffix)
        .Sample(text => CompilesAndRunsOrFailsCleanly(text, Small with { MaxSourceLength = 1_000_000 }), iter: 80);

    [Fact]
    public void Generated_programs_run_or_fail_cleanly_on_generated_documents()
    {
        Gen.Int.Sample(seed =>
        {
            var generator = new ProgramGenerator(seed);
            var program = generator.Program(depth: 6);
            JqProgram compiled;
            try
            {
                compiled = JqProgram.Compile(program, Small);
            }
            catch (JqParseException)
            {
                return;
            }
            for (var i = 0; i < 4; i++)
            {
                try
                {
                    _ = compiled.Run(generator.Document(depth: 5));
                }
                catch (JqRuntimeException)
                {
                }
            }
        }, iter: 1_500);
    }
}
