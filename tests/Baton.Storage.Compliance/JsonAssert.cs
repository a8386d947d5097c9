using System.Text.Json.Nodes;
using Baton.Core.Json;

namespace Baton.Storage.Compliance;

/// <summary>Compares values by their wire JSON, so every field counts and property order does not.</summary>
internal static class JsonAssert
{
    public static void SameJson<T>(T expected, T actual)
    {
        var expectedJson = BatonJson.Serialize(expected);
        var actualJson = BatonJson.Serialize(actual);
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(expectedJson), JsonNode.Parse(actualJson)),
            $"Expected{Environment.NewLine}{expectedJson}{Environment.NewLine}but read back{Environment.NewLine}{actualJson}");
    }
}
