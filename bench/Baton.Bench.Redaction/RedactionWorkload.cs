using System.Text;
using Baton.Secrets.Redaction;

namespace Baton.Bench.Redaction;

/// <summary>10,000 random 16–40 character secrets and about 1 MB of JSON-ish run data, with a few secrets (raw and
/// encoded) sprinkled in, or none.</summary>
internal static class RedactionWorkload
{
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/=!@#$%";

    public static RedactionEntry[] Entries(int count, int seed)
    {
        var random = new Random(seed);
        var entries = new RedactionEntry[count];
        for (var i = 0; i < count; i++)
        {
            var chars = new char[random.Next(16, 41)];
            for (var c = 0; c < chars.Length; c++) chars[c] = SecretAlphabet[random.Next(SecretAlphabet.Length)];
            entries[i] = new RedactionEntry($"SECRET_{i}", new string(chars));
        }
        return entries;
    }

    /// <summary>Run data: workflow and task records with ids, timestamps, statuses, numbers and log lines.</summary>
    public static string RunData(int approximateChars, RedactionEntry[] sprinkle, int seed)
    {
        var random = new Random(seed);
        var builder = new StringBuilder(approximateChars + 4096);
        string[] statuses = ["SCHEDULED", "IN_PROGRESS", "COMPLETED", "FAILED", "TIMED_OUT"];
        string[] words = ["fetching", "order", "payment", "response", "retry", "upstream", "status", "customer", "invoice", "shipment", "created", "updated", "http", "request", "completed in", "ms"];
        var record = 0;
        while (builder.Length < approximateChars)
        {
            var id = new Guid(random.Next(), (short)random.Next(), (short)random.Next(), [.. Enumerable.Range(0, 8).Select(_ => (byte)random.Next(256))]);
            builder.Append("{\"workflowId\":\"").Append(id).Append("\",\"taskId\":\"").Append(Guid.CreateVersion7(DateTimeOffset.UnixEpoch.AddSeconds(random.Next())))
                .Append("\",\"taskType\":\"HTTP\",\"status\":\"").Append(statuses[random.Next(statuses.Length)])
                .Append("\",\"startTime\":").Append(1_700_000_000_000L + random.Next())
                .Append(",\"retryCount\":").Append(random.Next(4))
                .Append(",\"outputData\":{\"response\":{\"statusCode\":200,\"body\":{\"orderId\":").Append(random.Next())
                .Append(",\"amount\":").Append(random.Next(100000) / 100.0)
                .Append(",\"currency\":\"EUR\"}}},\"logs\":[\"");
            for (var w = random.Next(6, 20); w > 0; w--) builder.Append(words[random.Next(words.Length)]).Append(' ');
            if (sprinkle.Length > 0 && record % 50 == 0)
            {
                var secret = sprinkle[random.Next(sprinkle.Length)].Value;
                builder.Append(record % 100 == 0 ? secret : Convert.ToBase64String(Encoding.UTF8.GetBytes("user:" + secret)));
            }
            builder.Append("\"]}\n");
            record++;
        }
        return builder.ToString();
    }
}
