using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Secrets.Service;

/// <summary>A secret's plaintext: a string or a JSON object. Lives in memory only; never serialized by Baton's sinks.</summary>
public sealed class SecretValue
{
    public const string StringKind = "string";
    public const string JsonKind = "json";

    private SecretValue(string kind, string text)
    {
        Kind = kind;
        Text = text;
    }

    /// <summary>"string" or "json".</summary>
    public string Kind { get; }

    /// <summary>The string itself, or the JSON object's text.</summary>
    public string Text { get; }

    public static SecretValue FromString(string text) => new(StringKind, text);

    public static SecretValue FromJson(JsonObject value) => new(JsonKind, value.ToJsonString());

    public static SecretValue FromStored(string kind, byte[] plaintext) => new(kind, Encoding.UTF8.GetString(plaintext));

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(Text);

    /// <summary>The value as a JSON node: a string, or the object.</summary>
    public JsonNode? AsNode() => Kind == JsonKind ? JsonNode.Parse(Text) : JsonValue.Create(Text);

    /// <summary>
    /// Reads a field of a JSON secret by a dot path ("username", "db.host", "hosts.0"); null when absent. A string
    /// secret whose text is a JSON object or array is addressable the same way (the Orkes SDKs and console send every
    /// value as a string, so a JSON secret often arrives as JSON text); its stored value stays the text as written.
    /// </summary>
    public JsonNode? Field(string path)
    {
        JsonNode? node = Kind == JsonKind ? JsonNode.Parse(Text) : ParseJsonText(Text);
        if (node is null) return null;
        foreach (var part in path.Split('.'))
        {
            node = node switch
            {
                JsonObject obj when obj.TryGetPropertyValue(part, out var child) => child,
                JsonArray array when int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }

    /// <summary>Whether a string secret's text is a JSON object or array (and so has fields).</summary>
    public bool HasFields => Kind == JsonKind || ParseJsonText(Text) is not null;

    /// <summary>The text as a JSON object or array, or null when it is not one (plain text, a JSON scalar, malformed).</summary>
    private static JsonNode? ParseJsonText(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length == 0 || trimmed[0] is not ('{' or '[')) return null;
        try
        {
            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
            return node is JsonObject or JsonArray ? node : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses a request body: a JSON string, a JSON object, or (not JSON) the raw text.</summary>
    public static bool TryParseBody(string body, bool isJsonContent, out SecretValue? value, out string? problem)
    {
        value = null;
        problem = null;
        if (!isJsonContent)
        {
            value = FromString(body);
            return true;
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            problem = "the body must be a JSON string, a JSON object, or text/plain";
            return false;
        }
        switch (node)
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                value = FromString(v.GetValue<string>());
                return true;
            case JsonObject obj:
                value = FromJson(obj);
                return true;
            default:
                problem = "a secret value is a JSON string or a JSON object";
                return false;
        }
    }
}
