using PipeChat.LoadTests.Harness;

namespace PipeChat.Tests.LoadTests;

public class LoadScheduleTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void KeepConstant_holds_its_copies_for_its_duration()
    {
        var schedule = new LoadSchedule([LoadSimulation.KeepConstant(50, S(10))]);
        Assert.False(schedule.IsOpenModel);
        Assert.Equal(S(10), schedule.Duration);
        Assert.Equal(50, schedule.MaxCopies);
        Assert.Equal(50, schedule.CopiesAt(S(0)));
        Assert.Equal(50, schedule.CopiesAt(S(9.99)));
        Assert.Equal(0, schedule.CopiesAt(S(10)));
        Assert.Null(schedule.SimulationAt(S(10)));
    }

    [Fact]
    public void RampingConstant_ramps_linearly_from_the_previous_phase()
    {
        var schedule = new LoadSchedule([LoadSimulation.RampingConstant(100, S(10)), LoadSimulation.KeepConstant(100, S(5)), LoadSimulation.RampingConstant(20, S(4))]);
        Assert.Equal(0, schedule.CopiesAt(S(0)));
        Assert.Equal(25, schedule.CopiesAt(S(2.5)));
        Assert.Equal(50, schedule.CopiesAt(S(5)));
        Assert.Equal(100, schedule.CopiesAt(S(9.999)));
        Assert.Equal(100, schedule.CopiesAt(S(12)));
        Assert.Equal(60, schedule.CopiesAt(S(17)));
        Assert.Equal(100, schedule.MaxCopies);
        Assert.Equal(S(19), schedule.Duration);
        Assert.Equal(LoadSimulationKind.KeepConstant, schedule.SimulationAt(S(12))!.Kind);
    }

    [Fact]
    public void Inject_spreads_requests_evenly()
    {
        var schedule = new LoadSchedule([LoadSimulation.Inject(100, S(1), S(10))]);
        Assert.True(schedule.IsOpenModel);
        Assert.Equal(1000, schedule.TotalInjected);
        Assert.Equal(100, schedule.RatePerSecondAt(S(3)));
        Assert.Equal(200, schedule.InjectedBy(S(2)), 6);
        Assert.Equal(S(0), schedule.ScheduledTime(0));
        Assert.Equal(0.5, schedule.ScheduledTime(50)!.Value.TotalSeconds, 6);
        Assert.Equal(9.99, schedule.ScheduledTime(999)!.Value.TotalSeconds, 6);
        Assert.Null(schedule.ScheduledTime(1000));
        Assert.Null(schedule.ScheduledTime(-1));
    }

    [Fact]
    public void Inject_rate_is_per_interval()
    {
        var schedule = new LoadSchedule([LoadSimulation.Inject(10, TimeSpan.FromMilliseconds(500), S(3))]);
        Assert.Equal(20, schedule.RatePerSecondAt(S(1)), 9);
        Assert.Equal(60, schedule.TotalInjected);
    }

    [Fact]
    public void RampingInject_ramps_the_rate_and_its_schedule_matches_the_integral()
    {
        var schedule = new LoadSchedule([LoadSimulation.RampingInject(100, S(1), S(10)), LoadSimulation.Inject(100, S(1), S(2))]);
        Assert.Equal(50, schedule.RatePerSecondAt(S(5)), 6);
        Assert.Equal(125, schedule.InjectedBy(S(5)), 6);
        Assert.Equal(500 + 200, schedule.TotalInjected);
        Assert.Equal(5, schedule.ScheduledTime(125)!.Value.TotalSeconds, 4);
        Assert.Equal(10.5, schedule.ScheduledTime(550)!.Value.TotalSeconds, 4);
        TimeSpan previous = TimeSpan.MinValue;
        for (long i = 0; i < schedule.TotalInjected; i++)
        {
            var t = schedule.ScheduledTime(i)!.Value;
            Assert.True(t >= previous, $"request {i} scheduled before {i - 1}");
            Assert.True(t < schedule.Duration);
            previous = t;
        }
    }

    [Fact]
    public void RampingInject_down_to_zero_counts_the_triangle()
    {
        var schedule = new LoadSchedule([LoadSimulation.Inject(100, S(1), S(2)), LoadSimulation.RampingInject(0, S(1), S(2))]);
        Assert.Equal(300, schedule.TotalInjected);
        Assert.Equal(0, schedule.RatePerSecondAt(S(4)));
    }

    [Fact]
    public void Closed_and_open_phases_cannot_be_mixed()
    {
        Assert.Throws<ArgumentException>(() => new LoadSchedule([LoadSimulation.KeepConstant(1, S(1)), LoadSimulation.Inject(1, S(1), S(1))]));
        Assert.Throws<ArgumentException>(() => new LoadSchedule([]));
    }

    [Fact]
    public void Simulations_reject_bad_arguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadSimulation.KeepConstant(-1, S(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadSimulation.KeepConstant(1, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadSimulation.Inject(1, TimeSpan.Zero, S(1)));
        Assert.Equal("Inject(rate: 5, interval: 1s, during: 2m)", LoadSimulation.Inject(5, S(1), TimeSpan.FromMinutes(2)).ToString());
    }

    [Fact]
    public void Warm_up_holds_the_first_phase_target()
    {
        var closed = ScenarioRunner.WarmUpPhase(LoadSimulation.RampingConstant(40, S(10)), S(2));
        Assert.Equal(LoadSimulationKind.KeepConstant, closed.Kind);
        Assert.Equal(40, closed.Copies);
        Assert.Equal(S(2), closed.During);
        var open = ScenarioRunner.WarmUpPhase(LoadSimulation.RampingInject(300, S(1), S(10)), S(1));
        Assert.Equal(LoadSimulationKind.Inject, open.Kind);
        Assert.Equal(300, open.Rate);
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("10s", 10)]
    [InlineData("1.5s", 1.5)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("250us", 0.00025)]
    [InlineData("3", 3)]
    public void Durations_parse(string text, double seconds)
    {
        Assert.Equal(seconds, DurationFormat.Parse(text).TotalSeconds, 9);
        Assert.Equal(DurationFormat.Parse(text), DurationFormat.Parse(DurationFormat.Format(DurationFormat.Parse(text))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("10 parsecs")]
    [InlineData("-1s")]
    public void Bad_durations_are_rejected(string text) => Assert.False(DurationFormat.TryParse(text, out _));
}
