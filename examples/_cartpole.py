"""CartPole in plain numpy (the classic cart-and-pole balancing task), for the RL examples."""

from __future__ import annotations

import math

import numpy as np


class CartPole:
    """Push a cart left or right to keep a pole upright; reward 1 per step, at most 200 steps."""

    GRAVITY, CART_MASS, POLE_MASS, HALF_LENGTH, FORCE, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    ANGLE_LIMIT, X_LIMIT, MAX_STEPS = 12 * 2 * math.pi / 360, 2.4, 200

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.state = np.zeros(4)
        self.steps = 0

    def reset(self) -> np.ndarray:
        """A new episode from a small random state; returns the observation (float32)."""
        self.state = self.rng.uniform(-0.05, 0.05, 4)
        self.steps = 0
        return self.state.astype(np.float32)

    def step(self, action: int) -> tuple[np.ndarray, float, bool]:
        """Apply a push (0 left, 1 right): (observation, reward, episode over)."""
        x, x_dot, theta, theta_dot = self.state
        force = self.FORCE if action == 1 else -self.FORCE
        cos, sin = math.cos(theta), math.sin(theta)
        total = self.CART_MASS + self.POLE_MASS
        pole_moment = self.POLE_MASS * self.HALF_LENGTH
        temp = (force + pole_moment * theta_dot**2 * sin) / total
        theta_acc = (self.GRAVITY * sin - cos * temp) / (
            self.HALF_LENGTH * (4.0 / 3.0 - self.POLE_MASS * cos**2 / total)
        )
        x_acc = temp - pole_moment * theta_acc * cos / total
        x, x_dot = x + self.TAU * x_dot, x_dot + self.TAU * x_acc
        theta, theta_dot = theta + self.TAU * theta_dot, theta_dot + self.TAU * theta_acc
        self.state = np.array([x, x_dot, theta, theta_dot])
        self.steps += 1
        fallen = abs(x) > self.X_LIMIT or abs(theta) > self.ANGLE_LIMIT
        return self.state.astype(np.float32), 1.0, fallen or self.steps >= self.MAX_STEPS


def discounted_returns(rewards: list, gamma: float = 0.99) -> np.ndarray:
    """Each step's discounted return, standardised (float32), as the critic's target."""
    out, running = np.zeros(len(rewards)), 0.0
    for i in reversed(range(len(rewards))):
        running = rewards[i] + gamma * running
        out[i] = running
    return ((out - out.mean()) / (out.std() + 1e-8)).astype(np.float32)


def actor_critic_init(hidden: int = 64, seed: int = 0) -> list[np.ndarray]:
    """(out, in) weights and zero biases of the shared layer, the policy head and the value head."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in ((4, hidden), (hidden, 2), (hidden, 1)):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params
