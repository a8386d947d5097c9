using Baton.Engine.Execution;
using Baton.Engine.Persistence;
using Baton.Engine.Search;
using CsCheck;

namespace Baton.Engine.Tests;

/// <summary>Whatever the search query, the parser gives a query or its 400 (<see cref="InvalidRequestException"/>), nothing else.</summary>
public sealed class ConductorQueryParserProperties
{
    private static readonly string[] GrammarTokens =
    [
        "workflowType", "version", "status", "correlationId", "workflowId", "startTime", "colour", " ", "=", "!=", ">", "<",
        ">=", "<=", "IN", "in", "(", ")", ",", "'", "\"", "AND", " AND ", "and", "RUNNING", "FAILED", "x", "1", "-1",
        "99999999999999999999", "*", "_",
    ];

    private static readonly string[] DeepUnits = ["(", ")", "'", "\"", " AND ", "AND", ",", "=", "-", "status IN (", "x = 1 AND "];

    private static void ParsesOrIsABadRequest(string text)
    {
        try
        {
            _ = ConductorQueryParser.Apply(new WorkflowQuery(), text);
        }
        catch (InvalidRequestException e)
        {
            Assert.Equal("query", e.Problems.Single().Path);
        }
    }

    [Fact]
    public void Any_text_parses_or_is_a_bad_request() =>
        Gen.String.Sample(ParsesOrIsABadRequest, iter: 1_000);

    [Fact]
    public void Text_made_of_query_tokens_parses_or_is_a_bad_request() =>
        Gen.OneOf(GrammarTokens).Array[0, 40].Select(tokens => string.Concat(tokens)).Sample(ParsesOrIsABadRequest, iter: 1_000);

    [Fact]
    public void Deeply_nested_or_unbalanced_text_parses_or_is_a_bad_request() =>
        Gen.Select(
            Gen.OneOf("", "status IN ", "workflowType = ", "x = 1 AND "),
            Gen.OneOf(DeepUnits),
            Gen.Frequency((3, Gen.Int[1, 2_000]), (1, Gen.Int[2_000, 200_000])),
            (prefix, unit, count) => prefix + string.Concat(Enumerable.Repeat(unit, count)))
        .Sample(ParsesOrIsABadRequest, iter: 60);
}
