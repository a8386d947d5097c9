using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Validation;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;
using Baton.Engine.Redaction;
using Baton.Secrets.Redaction;
using Baton.Secrets.Store;

namespace Baton.Engine.Environment;

/// <summary>
/// Environment values (Orkes): what <c>${workflow.env.NAME}</c> reads when a task is scheduled, and the writes of
/// /api/environment. They are not secrets: resolved values are stored in task inputs and not masked. So a name,
/// value or tag that holds a live secret's value (in any form the redactor knows) is refused, as in a definition,
/// naming the secret and the reference to write. Kept in memory for the decider (single node; refreshed on every
/// write through here).
/// </summary>
public sealed class EnvironmentValues(IEnvironmentStore store, SecretRedactor redactor) : IDisposable
{
    private volatile JsonObject _document = [];
    private readonly SemaphoreSlim _loadGate = new(1, 1);

    /// <summary>
    /// Reads every value and swaps the document in (at start, after each write here, and when another node sharing the
    /// store changed one). Loads run one at a time, so an older read is never installed after a newer one.
    /// </summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        await _loadGate.WaitAsync(ct);
        try
        {
            _document = Build(await store.ListAsync(ct));
        }
        finally
        {
            _loadGate.Release();
        }
    }

    /// <summary>
    /// A value was put or deleted through here: other nodes sharing the store load again. Tags are not kept in memory,
    /// so a tag change says nothing. Handlers must not block.
    /// </summary>
    public event Action? Changed;

    /// <summary>name → value: a JSON object when the value is one (so <c>.field</c> reads work), otherwise the text.</summary>
    public JsonObject Document => _document;

    public Task<EnvironmentValue?> GetAsync(string name, CancellationToken ct) => store.GetAsync(name, ct);

    public Task<IReadOnlyList<EnvironmentValue>> ListAsync(CancellationToken ct) => store.ListAsync(ct);

    /// <summary>Stores a value; 400 (<see cref="InvalidRequestException"/>) when the name (path <c>key</c>) or the
    /// value (path <c>$</c>) holds a secret's value.</summary>
    public async Task PutAsync(string name, string value, CancellationToken ct)
    {
        var problems = new List<ValidationProblem>();
        SecretLiteralCheck.Check(redactor, JsonValue.Create(name), "key", problems);
        SecretLiteralCheck.Check(redactor, JsonValue.Create(value), "$", problems);
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        await store.PutAsync(name, value, ct);
        await LoadAsync(ct);
        Changed?.Invoke();
    }

    public async Task<string?> DeleteAsync(string name, CancellationToken ct)
    {
        var deleted = await store.DeleteAsync(name, ct);
        await LoadAsync(ct);
        if (deleted is not null) Changed?.Invoke();
        return deleted;
    }

    /// <summary>Adds or replaces tags; 400 when a tag's key or value holds a secret's value.</summary>
    public Task SetTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct)
    {
        var problems = new List<ValidationProblem>();
        for (var i = 0; i < tags.Count; i++)
        {
            SecretLiteralCheck.Check(redactor, JsonValue.Create(tags[i].Key), $"$[{i}].key", problems);
            SecretLiteralCheck.Check(redactor, JsonValue.Create(tags[i].Value), $"$[{i}].value", problems);
        }
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        return store.SetTagsAsync(name, tags, ct);
    }

    public Task RemoveTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct) => store.RemoveTagsAsync(name, tags, ct);

    private static JsonObject Build(IReadOnlyList<EnvironmentValue> values)
    {
        var document = new JsonObject();
        foreach (var value in values) document[value.Name] = Parse(value.Value);
        return document;
    }

    private static JsonNode? Parse(string value)
    {
        if (value.Length > 0 && value.TrimStart().StartsWith('{'))
        {
            try
            {
                if (JsonNode.Parse(value) is JsonObject obj) return obj;
            }
            catch (JsonException)
            {
                // Not JSON after all: the text itself.
            }
        }
        return JsonValue.Create(value);
    }

    public void Dispose() => _loadGate.Dispose();
}
