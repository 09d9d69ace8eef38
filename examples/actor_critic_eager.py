"""An actor-critic agent on CartPole in the PyTorch style: a shared layer, a policy head whose
`Categorical` draws the actions, a value head as the baseline, Adam after every episode."""

import _common
import duograd.frontends.eager as torch
import numpy as np
from _cartpole import CartPole, actor_critic_init, discounted_returns
from _progress import Progress

nn = torch.nn


class ActorCritic(nn.Module):
    """Policy logits and state value from one shared hidden layer."""

    def __init__(self, params):
        super().__init__()
        self.shared, self.policy, self.value = nn.Linear(4, 64), nn.Linear(64, 2), nn.Linear(64, 1)
        with torch.no_grad():
            for p, v in zip(self.parameters(), params, strict=True):
                p.copy_(torch.from_numpy(v))

    def forward(self, states):
        h = torch.relu(self.shared(states))
        return self.policy(h), self.value(h).squeeze(1)


def train(episodes: int, quiet: bool = False):
    """Play and learn; return (parameters, each episode's length)."""
    env, model = CartPole(seed=0), ActorCritic(actor_critic_init())
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    torch.manual_seed(0)  # the action draws
    lengths = []
    progress = Progress(episodes, quiet, desc="episodes")
    for episode in range(episodes):
        state, done, states, actions, rewards = env.reset(), False, [], [], []
        while not done:
            with torch.no_grad():
                logits, _ = model(torch.from_numpy(state[None]))
                action = int(torch.distributions.Categorical(logits=logits).sample()[0])
            states.append(state)
            actions.append(action)
            state, reward, done = env.step(action)
            rewards.append(reward)
        returns = torch.from_numpy(discounted_returns(rewards))
        logits, values = model(torch.from_numpy(np.stack(states)))
        log_probs = torch.distributions.Categorical(logits=logits).log_prob(torch.tensor(actions))
        advantage = returns - values.detach()
        loss = -(log_probs * advantage).mean() + 0.5 * ((returns - values) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        lengths.append(len(rewards))
        progress.update(episode, loss.item(), length=len(rewards))
    return [p.detach().numpy().copy() for p in model.parameters()], lengths


if __name__ == "__main__":
    args = _common.parse(__doc__, 150)
    params, lengths = train(args.steps, args.quiet)
    first, last = np.mean(lengths[:10]), np.mean(lengths[-10:])
    print(f"eager: mean episode length, first 10: {first:.1f}, last 10: {last:.1f}")
