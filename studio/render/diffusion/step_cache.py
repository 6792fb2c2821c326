"""DeepCache-style reuse of deep U-Net features between denoising steps, aware of the ControlNet.

Between neighbouring steps the U-Net's deep features (everything below its outermost level)
change slowly, so on "cached" steps only the outermost level is recomputed: conv_in, the first
down block, the last up block and the output convolutions. The output of the second-to-last up
block, the deep feature map handed to that last block, is taken from the most recent key step.

Why this stays correct with a ControlNet. A ControlNet adds one residual per U-Net skip
connection plus one to the mid block. DeepCache applied naively keeps computing the ControlNet
and adds its fresh residuals to stale deep features (or skips it and adds stale residuals to fresh
shallow features); either way a residual meets features from another timestep. Here both
networks are split at the same level:
- deep blocks of the U-Net *and* of the ControlNet return their key-step outputs on cached steps,
  so the cached deep feature map already contains the control residuals of the step it came
  from, and nothing is added to it afterwards;
- the shallow blocks of both networks (conv_in, first down block) run fresh on every step, so
  the residuals the last up block receives through its skip connections are computed from the
  same latents and timestep as the features they are added to.
Deep ControlNet residuals computed on cached steps are only ever added to cached deep outputs
that nothing reads, so they cannot leak in. The ControlNet's conditioning embedding (a small
CNN over the control image) does not depend on the timestep at all; it is computed once per
call and reused exactly.

Across frames as well as steps. Between a frame and its shot's reference frame only the
foreground moves, and the deep feature maps are coarse (an SD1.5 U-Net at 128x128 has deep
levels of 8x8 down to 2x2 latent cells) and, on the CPU, cost about the same per frame whatever
the crop (the convolutions' cost at such sizes is in their 1280-channel weights, not their
pixels). So the reference pass *records* its deep outputs at every step (`DeepFeatures`), and
each frame's pass over its foreground crop *borrows* them: every step of a frame is a cached
step, the last deep block's output is cut to the crop's latent window and broadcast over the
batch, and only the shallow level runs, on the crop. The deep features then also see the whole
frame rather than the crop's edges, which is why this is closer to the plain result than
computing them on the crop (37 dB against 33 dB on the SD1.5-size bench).

The behaviour is attached with diffusers hooks (diffusers.hooks.ModelHook) on the blocks and
removed on exit, so models are never edited and `cache=False` runs the untouched stock forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from diffusers.hooks import HookRegistry, ModelHook

HOOK_NAME = "studio_step_cache"


@dataclass
class DeepFeatures:
    """The deep blocks' outputs of one pass, per block and step, for other passes to borrow."""

    outputs: dict[tuple[str, int], dict[int, object]] = field(default_factory=dict)

    def put(self, block: tuple[str, int], step: int, output) -> None:
        self.outputs.setdefault(block, {})[step] = output

    def get(self, block: tuple[str, int], step: int):
        return self.outputs[block][step]


@dataclass
class StepCacheState:
    """Shared by all hooks of one StepCache: whether the current step is a key step."""

    interval: int
    fresh: bool = True
    step: int = 0
    key_steps: list[int] = field(default_factory=list)
    record: DeepFeatures | None = None
    borrow: DeepFeatures | None = None
    window: tuple[slice, slice] | None = None  # the crop's latent rows and columns in the lender's frame

    def begin_step(self, i: int) -> None:
        """Key steps are the first and every `interval`-th after it (DeepCache's uniform schedule)."""
        self.step = i
        self.fresh = self.borrow is None and i % self.interval == 0
        if self.fresh:
            self.key_steps.append(i)


class DeepBlockHook(ModelHook):
    """Returns the block's key-step output on cached steps instead of running it.

    Borrowing, every step is cached and the outputs are the lender's; the last deep block's
    (the feature map the shallow up block reads) is cut to the borrower's crop and batch.
    """

    def __init__(self, state: StepCacheState, block: tuple[str, int], last: bool) -> None:
        super().__init__()
        self.state = state
        self.block = block
        self.last = last
        self.output = None

    def new_forward(self, module, hidden_states, *args, **kwargs):
        state = self.state
        if state.borrow is not None:
            output = state.borrow.get(self.block, state.step)
            if self.last:
                rows, cols = state.window
                # the batch is the shallow path's: the skip connections' (the hidden states
                # handed in are the lender's)
                batch = kwargs["res_hidden_states_tuple"][0].shape[0]
                output = output[:, :, rows, cols].expand(batch, -1, -1, -1)
            return output
        if state.fresh or self.output is None:
            self.output = self.fn_ref.original_forward(hidden_states, *args, **kwargs)
        if state.record is not None:
            state.record.put(self.block, state.step, self.output)
        return self.output


class ConditionEmbeddingHook(ModelHook):
    """Reuses the control image's embedding while the same control tensor is passed in."""

    def __init__(self) -> None:
        super().__init__()
        self.key = None
        self.output = None

    def new_forward(self, module, cond, *args, **kwargs):
        if self.key is not cond:
            self.output = self.fn_ref.original_forward(cond, *args, **kwargs)
            self.key = cond
        return self.output


def deep_blocks(model) -> list:
    """Blocks below the outermost level: down blocks 1.., the mid block, up blocks ..-2."""
    blocks = list(model.down_blocks[1:]) + [model.mid_block]
    if hasattr(model, "up_blocks"):
        blocks += list(model.up_blocks[:-1])
    return blocks


class StepCache:
    """Context manager attaching the cache hooks to a U-Net and its ControlNet for one call."""

    def __init__(self, unet, controlnet, interval: int = 3, *, record: DeepFeatures | None = None,
                 borrow: DeepFeatures | None = None, window: tuple[slice, slice] | None = None) -> None:
        if interval < 1:
            raise ValueError("step cache interval must be at least 1")
        if borrow is not None and window is None:
            raise ValueError("borrowing deep features needs the crop's window")
        self.unet = unet
        self.controlnet = controlnet
        self.state = StepCacheState(interval=interval, record=record, borrow=borrow, window=window)
        self._modules: list = []

    def __enter__(self) -> "StepCache":
        for tag, model in (("unet", self.unet), ("controlnet", self.controlnet)):
            blocks = deep_blocks(model)
            for i, block in enumerate(blocks):
                last = tag == "unet" and i == len(blocks) - 1
                self._attach(block, DeepBlockHook(self.state, (tag, i), last))
        self._attach(self.controlnet.controlnet_cond_embedding, ConditionEmbeddingHook())
        return self

    def __exit__(self, *exc) -> None:
        for module in self._modules:
            module._diffusers_hook.remove_hook(HOOK_NAME, recurse=False)
        self._modules.clear()

    def _attach(self, module, hook: ModelHook) -> None:
        HookRegistry.check_if_exists_or_initialize(module).register_hook(hook, HOOK_NAME)
        self._modules.append(module)
