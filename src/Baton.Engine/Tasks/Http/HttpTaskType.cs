using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Validation;

namespace Baton.Engine.Tasks.Http;

/// <summary>HTTP: the server sends the request (<see cref="SystemTasks.HttpTask"/>), with the run's principal's secrets.</summary>
public sealed class HttpTaskType : TaskType
{
    public override string Name => TaskTypes.Http;

    public override TaskKind Kind => TaskKind.System;

    public override void Validate(TaskCheck check)
    {
        var request = check.Input?["http_request"] as JsonObject;
        var requestPath = request is null ? ".inputParameters" : ".inputParameters.http_request";
        check.RequireString("uri", request ?? check.Input, requestPath);
        check.RequireString("method", request ?? check.Input, requestPath);
    }
}
