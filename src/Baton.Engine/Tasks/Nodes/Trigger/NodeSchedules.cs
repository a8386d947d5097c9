using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Core.Schedules;
using Baton.Engine.Scheduling;

namespace Baton.Engine.Tasks.Nodes.Trigger;

/// <summary>
/// A SCHEDULE_TRIGGER is a schedule of Baton's scheduler (durable, claimed once per due time, its runs started as
/// its owner: whoever saved the node workflow last), kept in step with the workflow: saving the workflow saves one
/// schedule per schedule trigger (paused while <c>published</c> is false) and deletes those of triggers it no longer
/// has; deleting the workflow deletes them. Cron is UTC; the node validator allowed at most one fire per 5 minutes.
/// </summary>
public sealed class NodeSchedules(ScheduleService schedules)
{
    private const string Prefix = "node.";

    /// <summary>Brings the schedules of <paramref name="def"/>'s schedule triggers in step with it, as <paramref name="owner"/>'s.</summary>
    public async Task SyncAsync(WorkflowDef def, string owner, CancellationToken ct)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var task in def.Tasks)
        {
            if (task.Type != NodeTypes.Trigger || NodeWiring.ConfigText(task, "type") != "SCHEDULE_TRIGGER") continue;
            var name = NameOf(def.Name, task.TaskReferenceName);
            wanted.Add(name);
            var published = NodeWiring.Config(task)["published"] is not JsonValue p || p.GetValueKind() != System.Text.Json.JsonValueKind.False;
            await schedules.SaveAsync(new WorkflowSchedule
            {
                Name = name,
                CronExpression = NodeWiring.ConfigText(task, "cron"),
                ZoneId = "UTC",
                Paused = !published,
                PausedReason = published ? null : "the trigger is not published",
                Description = $"SCHEDULE_TRIGGER '{task.TaskReferenceName}' of node workflow '{def.Name}'",
                StartWorkflowRequest = new StartWorkflowRequest
                {
                    Name = def.Name,
                    Input = new JsonObject { ["trigger"] = task.TaskReferenceName, ["data"] = new JsonObject() },
                },
            }, owner, ct);
        }
        foreach (var existing in await schedules.ListAsync(def.Name, ct))
        {
            if (existing.Name is { } name && name.StartsWith(Prefix, StringComparison.Ordinal) && !wanted.Contains(name)) await schedules.DeleteAsync(name, ct);
        }
    }

    /// <summary>Deletes the schedules of a node workflow's triggers (the workflow is being deleted).</summary>
    public async Task DeleteAllAsync(string workflowName, CancellationToken ct)
    {
        foreach (var existing in await schedules.ListAsync(workflowName, ct))
        {
            if (existing.Name is { } name && name.StartsWith(Prefix, StringComparison.Ordinal)) await schedules.DeleteAsync(name, ct);
        }
    }

    /// <summary>
    /// A schedule's name for a trigger: readable, within the scheduler's name rules (node identifiers may hold '@' and
    /// ':', which those do not), and unique per workflow and trigger through a hash of both.
    /// </summary>
    public static string NameOf(string workflow, string trigger)
    {
        static string Clean(string s) => new([.. s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_')]);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(workflow + "\n" + trigger)))[..8];
        return $"{Prefix}{Clean(workflow)}.{Clean(trigger)}.{hash}";
    }
}
