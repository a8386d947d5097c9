using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Baton.Canaries.Canaries;

/// <summary>
/// One secret registered under a fresh name with a fresh random value. <see cref="Value"/> is what the vault holds
/// (a JSON secret's whole JSON text); <see cref="Pieces"/> are the parts that must never show up on their own either
/// (each line of a PEM block, each leaf of a JSON secret).
/// </summary>
public sealed class Canary
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private Canary(string shape, string name, string value, JsonObject? json, IReadOnlyList<(string Label, string Text)> pieces)
    {
        Shape = shape;
        Name = name;
        Value = value;
        Json = json;
        Pieces = pieces;
    }

    /// <summary>What kind of value this is (random, special, pem, json, nonascii): the name used in reports.</summary>
    public string Shape { get; }

    /// <summary>The secret's name in the vault.</summary>
    public string Name { get; }

    /// <summary>The value as the vault holds it (for the JSON one, its JSON text).</summary>
    public string Value { get; }

    /// <summary>The JSON secret's object, or null.</summary>
    public JsonObject? Json { get; }

    /// <summary>Parts of the value that are secret on their own.</summary>
    public IReadOnlyList<(string Label, string Text)> Pieces { get; }

    /// <summary>The reference a definition writes: <c>${workflow.secrets.NAME}</c>.</summary>
    public string Reference => $"${{workflow.secrets.{Name}}}";

    /// <summary>The reference to one field of the JSON secret.</summary>
    public string FieldReference(string field) => $"${{workflow.secrets.{Name}.{field}}}";

    /// <summary>A string that goes into a single field, header or URL: the value itself, or for JSON its <c>password</c> leaf.</summary>
    public string ScalarValue => Json is null ? Value : Json["password"]!.GetValue<string>();

    /// <summary>The reference whose resolved value is <see cref="ScalarValue"/>.</summary>
    public string ScalarReference => Json is null ? Reference : FieldReference("password");

    /// <summary>True when <see cref="ScalarValue"/> can travel in an HTTP header (one line of ASCII).</summary>
    public bool HeaderSafe => ScalarValue.All(c => c is >= ' ' and <= '~');

    /// <summary>True when <see cref="ScalarValue"/> can travel in a URL path and query (one line).</summary>
    public bool UrlSafe => !ScalarValue.Contains('\n', StringComparison.Ordinal);

    public override string ToString() => Shape;

    public static string Random(int length) => RandomNumberGenerator.GetString(Alphabet, length);

    /// <summary>The five shapes, each with a fresh name and fresh random material.</summary>
    /// <param name="run">A suffix that makes this run's names unique.</param>
    public static IReadOnlyList<Canary> CreateSet(string run)
    {
        var random = Random(32);

        var special = $"sp\"&<>+/= {Random(12)} \"&<>+/= {Random(12)}";

        var lines = Enumerable.Range(0, 4).Select(_ => Random(48)).ToList();
        var pem = "-----BEGIN CANARY PRIVATE KEY-----\n" + string.Join('\n', lines) + "\n-----END CANARY PRIVATE KEY-----";

        var json = new JsonObject
        {
            ["user"] = "user-" + Random(16),
            ["password"] = "pw-" + Random(24),
            ["db"] = new JsonObject { ["host"] = "host-" + Random(16) + ".internal" },
        };
        var jsonPieces = new List<(string, string)>
        {
            ("leaf user", json["user"]!.GetValue<string>()),
            ("leaf password", json["password"]!.GetValue<string>()),
            ("leaf db.host", json["db"]!["host"]!.GetValue<string>()),
        };

        var nonAscii = "pässwörd-ü€-秘密-" + Random(16);

        return
        [
            new("random", $"canary_random_{run}", random, null, []),
            new("special", $"canary_special_{run}", special, null, []),
            new("pem", $"canary_pem_{run}", pem, null, [.. lines.Select((l, i) => ($"line {i + 2}", l))]),
            new("json", $"canary_json_{run}", json.ToJsonString(), json, jsonPieces),
            new("nonascii", $"canary_nonascii_{run}", nonAscii, null, []),
        ];
    }
}
