using System.Text.Json.Nodes;
using Baton.Core.Expressions;
using CsCheck;

namespace Baton.Core.Tests.Expressions;

/// <summary>
/// Whatever text reaches them, the expression parsers give a result or their syntax error, never another exception,
/// and never a stack overflow (which would kill the test host, as it killed the server in issue 13).
/// </summary>
public sealed class ExpressionParserProperties
{
    private const long Iterations = 400;
    private const long DeepIterations = 60;

    /// <summary>The pieces JSONPath and templates are made of, so generated text is often almost valid.</summary>
    private static readonly string[] GrammarTokens =
    [
        "$", "@", ".", "..", "[", "]", "(", ")", "?", "*", ":", ",", "!", "=", "==", "!=", "<", "<=", ">", ">=", "~", "&&",
        "||", "'", "\"", "\\", "-", "0", "1", "-1", "2147483648", "1e5", "a", "b", "workflow", "input", "secrets", "true",
        "null", " ", "${", "}", "{", "$${", "[?(", "@.b", "length()", "['a','b']", "[0:2]", "[1,-1]", ".*", "..*",
    ];

    /// <summary>Units repeated many times: each one deepens, lengthens or unbalances some production.</summary>
    private static readonly string[] DeepUnits =
    [
        "(", "!", "[?(", "${", "-", "'", "\"", "\\'", "'\"", "[", "]", ")", "{", "}", "$", "[?(@)]", ".*", "..*", ".a",
        "['a','b']", "[0:]", "[*]", "@.a || ", "@.a && ", "!(", "(!", "[?(!", "${workflow.input.", "$${", ".${a}",
    ];

    private static readonly string[] Prefixes = ["", "workflow.input.a", "workflow.input.a[?(", "$.workflow.input.a", "@", "${workflow.input.a", "${workflow.input.a[?("];

    private static readonly string[] Suffixes = ["", "@.b)]", ")]", "}", "@.b)]}", "]", "'"];

    private static readonly JsonObject Document = JsonNode.Parse("""
        { "workflow": { "input": { "a": { "a": { "b": 1 }, "b": [1, { "b": 2 }] }, "items": [{ "b": 1 }, { "b": "1" }] } } }
        """)!.AsObject();

    private static readonly TestScope Scope = new(Document);

    private static Gen<string> ArbitraryText => Gen.String;

    private static Gen<string> TokenText => Gen.OneOf(GrammarTokens).Array[0, 80].Select(tokens => string.Concat(tokens));

    private static Gen<string> DeepText => Gen.Select(
        Gen.OneOf(Prefixes),
        Gen.OneOf(DeepUnits),
        Gen.Frequency((3, Gen.Int[1, 3_000]), (1, Gen.Int[3_000, 200_000])),
        Gen.OneOf(Suffixes),
        (prefix, unit, count, suffix) => prefix + string.Concat(Enumerable.Repeat(unit, count)) + suffix);

    /// <summary>Parses the path; when it parses, evaluates it (evaluation never throws).</summary>
    private static void PathParsesOrIsASyntaxError(string text)
    {
        JsonPath path;
        try
        {
            path = JsonPath.Parse(text);
        }
        catch (JsonPathSyntaxException)
        {
            return;
        }

        _ = path.Evaluate(Document);
        _ = ExpressionSyntax.IsSecretReference(text);
    }

    /// <summary>Checks and evaluates the text as a template string; none of this may throw.</summary>
    private static void TemplateIsAnalyzedAndEvaluated(string text)
    {
        var errors = new List<string>();
        _ = ExpressionSyntax.Analyze(text, errors);
        _ = ExpressionSyntax.SecretReferences(text);
        _ = ParameterEvaluator.EvaluateString(text, Scope);
        _ = ParameterEvaluator.EvaluateString("${" + text + "}", Scope);
    }

    [Fact]
    public void Any_text_as_a_path_parses_or_is_a_syntax_error() =>
        ArbitraryText.Sample(PathParsesOrIsASyntaxError, iter: Iterations);

    [Fact]
    public void Text_made_of_path_tokens_parses_or_is_a_syntax_error() =>
        TokenText.Sample(PathParsesOrIsASyntaxError, iter: Iterations);

    [Fact]
    public void Deeply_nested_or_unbalanced_paths_parse_or_are_a_syntax_error() =>
        DeepText.Sample(PathParsesOrIsASyntaxError, iter: DeepIterations);

    [Fact]
    public void Any_text_as_a_template_is_analyzed_and_evaluated_without_an_exception() =>
        ArbitraryText.Sample(TemplateIsAnalyzedAndEvaluated, iter: Iterations);

    [Fact]
    public void Text_made_of_template_tokens_is_analyzed_and_evaluated_without_an_exception() =>
        TokenText.Sample(TemplateIsAnalyzedAndEvaluated, iter: Iterations);

    [Fact]
    public void Deeply_nested_or_unbalanced_templates_are_analyzed_and_evaluated_without_an_exception() =>
        DeepText.Sample(TemplateIsAnalyzedAndEvaluated, iter: DeepIterations);
}
