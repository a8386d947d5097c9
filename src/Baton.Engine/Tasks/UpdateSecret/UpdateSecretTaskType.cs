using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Validation;

namespace Baton.Engine.Tasks.UpdateSecret;

/// <summary>UPDATE_SECRET: writes a secret as the run's principal (<see cref="SystemTasks.UpdateSecretTask"/>).</summary>
public sealed class UpdateSecretTaskType : TaskType
{
    public override string Name => TaskTypes.UpdateSecret;

    public override TaskKind Kind => TaskKind.System;

    public override void Validate(TaskCheck check)
    {
        var secrets = check.Input?["_secrets"] as JsonObject;
        check.RequireString("secretKey", secrets, ".inputParameters._secrets");
        if (secrets?["secretValue"] is null) check.Problem(".inputParameters._secrets.secretValue", "secretValue is required");
    }
}
