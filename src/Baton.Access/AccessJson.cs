using System.Text.Json.Serialization;

namespace Baton.Access;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class AccessJson : JsonSerializerContext;
