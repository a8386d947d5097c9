using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Baton.Core.Validation;

namespace Baton.Server.Api;

/// <summary>
/// One pass over a JSON body before anything reads it, for what the parser lets through and a later read would
/// throw on: a key twice in one object, a string whose bytes are not UTF-8 (invalid or overlong), and a lone
/// UTF-16 surrogate escape (<c>"\ud800"</c>). Each is a problem naming the JSON path; malformed JSON is a
/// problem too, at the path the reader had reached, flagged as such.
/// </summary>
public static class JsonBodyCheck
{
    /// <summary>
    /// The first problem of <paramref name="json"/>, or null when it has none; <paramref name="malformed"/> says the
    /// problem is that the text is not JSON at all.
    /// </summary>
    public static ValidationProblem? FindProblem(ReadOnlySpan<byte> json, JsonReaderOptions options, out bool malformed)
    {
        malformed = false;
        var reader = new Utf8JsonReader(json, options);
        var frames = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        NextElement(frames);
                        frames.Add(new Frame(isArray: false));
                        break;
                    case JsonTokenType.StartArray:
                        NextElement(frames);
                        frames.Add(new Frame(isArray: true));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        {
                            var frame = frames[^1];
                            if (TextOf(ref reader, out var name) is { } nameProblem)
                            {
                                frame.Property = null;
                                return new ValidationProblem(PathOf(frames), $"a key {nameProblem}");
                            }
                            frame.Property = name;
                            frame.Names ??= new HashSet<string>(StringComparer.Ordinal);
                            if (!frame.Names.Add(name!)) return new ValidationProblem(PathOf(frames), "this key appears more than once in its object; each key may appear once");
                            break;
                        }
                    case JsonTokenType.String:
                        NextElement(frames);
                        if (TextOf(ref reader, out _) is { } problem) return new ValidationProblem(PathOf(frames), $"a string {problem}");
                        break;
                    default:
                        NextElement(frames);
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            malformed = true;
            return new ValidationProblem(PathOf(frames), JsonBody.Describe(e));
        }
        return null;
    }

    /// <summary>What is wrong with the current string token, or null; <paramref name="text"/> is its value when nothing is.</summary>
    private static string? TextOf(ref Utf8JsonReader reader, out string? text)
    {
        text = null;
        // The reader runs over one span, so a token's value is always ValueSpan (never a sequence).
        if (!Utf8.IsValid(reader.ValueSpan)) return "holds bytes that are not UTF-8 (invalid or overlong); send the body as UTF-8";
        try
        {
            text = reader.GetString();
            return null;
        }
        catch (InvalidOperationException)
        {
            // Valid UTF-8 that does not unescape: a \uD800-\uDFFF escape without its pair.
            return "holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair), which is not text";
        }
    }

    private static void NextElement(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray) frames[^1].Index++;
    }

    private static string PathOf(List<Frame> frames)
    {
        var path = new StringBuilder("$");
        foreach (var frame in frames)
        {
            if (frame.IsArray)
            {
                if (frame.Index >= 0) path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.Property is { } name)
            {
                if (name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) path.Append('.').Append(name);
                else path.Append("['").Append(name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
            }
        }
        return path.ToString();
    }

    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;
        public int Index { get; set; } = -1;
        public string? Property { get; set; }
        public HashSet<string>? Names { get; set; }
    }
}
