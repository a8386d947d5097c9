using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Secrets.Service;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.SystemTasks;

/// <summary>
/// UPDATE_SECRET (Orkes): stores <c>inputParameters._secrets.secretValue</c> as a new version of the secret
/// <c>_secrets.secretKey</c>, creating it when missing. The <c>_secrets</c> input is masked at rest and evaluated
/// again at hand-off; once the vault knows the new value, every stored part of the run passes the redactor again
/// (the token-refresh pattern: the value usually came from an earlier task's output). It acts with the run's
/// principal's rights, checked by the vault's one policy as an API write is: UPDATE on an existing secret, CREATE on a
/// new one (whose creator the principal becomes); a deleted secret's name stays with its owners.
/// </summary>
public sealed class UpdateSecretTask(SecretVault vault) : ISystemTask
{
    public string Type => TaskTypes.UpdateSecret;
    public bool RunsAsync => true;

    public async Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var reference = context.Task.ReferenceTaskName;
        var secrets = context.Input["_secrets"] as JsonObject;
        var key = secrets?["secretKey"] is JsonValue k && k.GetValueKind() == JsonValueKind.String ? k.GetValue<string>() : null;
        SecretValue? value = secrets?["secretValue"] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 0 => SecretValue.FromString(v.GetValue<string>()),
            JsonObject obj => SecretValue.FromJson(obj),
            _ => null,
        };
        if (string.IsNullOrEmpty(key) || value is null)
        {
            return new TaskOutcome(TaskStatus.FailedWithTerminalError, [],
                $"UPDATE_SECRET task '{reference}': inputParameters._secrets needs secretKey and a non-empty secretValue (a string or a JSON object)");
        }
        try
        {
            var version = await vault.PutAsync(key, value, null, null, context.Principal, ct);
            return new TaskOutcome(TaskStatus.Completed, new JsonObject { ["secretKey"] = key, ["version"] = version }, RedactWholeRun: true);
        }
        catch (Exception e) when (e is SecretRequestException or SecretTooLargeException or SecretVersionConflictException or SecretAccessDeniedException or SecretNameReservedException)
        {
            return new TaskOutcome(TaskStatus.FailedWithTerminalError, [], $"UPDATE_SECRET task '{reference}': {e.Message}");
        }
    }
}
