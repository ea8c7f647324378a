"""Guide-free patch selection with learnable joint tokens.

The third method of Kinfu & Vidal, "Efficient Vision Transformer for Human
Pose Estimation via Patch Selection" (BMVC 2023): one learnable token per
keypoint joins the patch tokens; after a few blocks, the patch tokens that
receive the least attention from the joint tokens leave the sequence (it
really gets shorter), so no guide network is needed. The surviving patch
tokens are put back on the full grid (zeros elsewhere) in front of the usual
heatmap head; the joint tokens are dropped at the end.
"""
import math
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model.weight_init import trunc_normal_
from mmpose.registry import MODELS
from torch import Tensor

from mmpose_patchsel.selection import PatchGrid
from mmpose_patchsel.utils import check_int

from ..losses.joint_token_loss import JointTokenCellLoss  # noqa: F401
from .patchsel_vit import PatchSelViT
from .vit_layers import TransformerEncoderLayer

__all__ = [
    'JointTokenPatchSelViT', 'JointAttentionEncoderLayer', 'JointTokenOutput',
    'check_keep_rate', 'num_kept'
]


def check_keep_rate(value: float, name: str = 'keep_rate') -> float:
    """``value`` as a float in (0, 1]; raise naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'{name} must be a number in (0, 1], got {value!r}')
    value = float(value)
    if not 0. < value <= 1.:
        raise ValueError(f'{name} must be in (0, 1], got {value}')
    return value


def num_kept(keep_rate: float, count: int) -> int:
    """``ceil(keep_rate * count)``, at least 1.

    A small tolerance keeps float noise from adding a token
    (``0.7 * 10 = 7.000000000000001`` keeps 7, not 8).
    """
    return max(1, math.ceil(keep_rate * count - 1e-6))


class JointTokenOutput(NamedTuple):
    """What :meth:`JointTokenPatchSelViT.forward_tokens` returns.

    Attributes:
        patch_tokens: (B, K, C) surviving patch tokens (after the final norm).
        joint_tokens: (B, J, C) the joint tokens after the last block.
        keep_indices: (B, K) grid positions (row-major) of ``patch_tokens``,
            or None when every patch of the grid survived in grid order.
        key_padding_mask: (B, K) bool, True for padding entries (only with an
            external selection that has padding), else None.
        stage_indices: grid positions kept after each pruning layer that
            actually pruned, in order (one (B, K_s) tensor per layer).
        grid: the token grid (rows, cols).
        joint_attention: per pruning block, in training with a joint loss
            only (else empty): (attention, positions, padding), the
            (B, J, L) joint-to-patch attention (mean over heads, with
            gradient) over the L patch tokens entering that block, their
            (B, L) grid positions (None: the whole grid in order) and
            padding mask (or None).
    """
    patch_tokens: Tensor
    joint_tokens: Tensor
    keep_indices: Optional[Tensor]
    key_padding_mask: Optional[Tensor]
    stage_indices: List[Tensor]
    grid: Tuple[int, int]
    joint_attention: List[Tuple[Tensor, Optional[Tensor],
                                Optional[Tensor]]] = ()


class JointAttentionEncoderLayer(TransformerEncoderLayer):
    """A ViT block that can also return its first queries' attention.

    ``forward(x, attn_mask, num_queries=0)`` is the plain block. With
    ``num_queries=J`` it computes exactly the same output (SDPA) and also
    returns the attention weights of the first J queries over all keys,
    (B, heads, J, L), from the same q and k, computed explicitly (softmax
    in float32, before attention dropout). They only rank tokens, so they
    carry no gradient unless ``with_grad=True`` (the joint-token loss
    supervises them). Same parameters and names as the plain block.
    """

    def forward(self,
                x: Tensor,
                attn_mask: Optional[Tensor] = None,
                num_queries: int = 0,
                with_grad: bool = False):
        if not num_queries:
            return super().forward(x, attn_mask)
        attn = self.attn
        q, k, v = attn.qkv_heads(self.ln1(x))
        x = x + attn.project(attn.attend(q, k, v, attn_mask))
        x = self.ffn(self.ln2(x), identity=x)
        with torch.set_grad_enabled(with_grad and torch.is_grad_enabled()):
            logits = q[:, :, :num_queries].float() @ k.float().transpose(
                -2, -1) * attn.head_dims**-0.5
            if attn_mask is not None:
                logits = logits.masked_fill(~attn_mask, float('-inf'))
            weights = logits.softmax(dim=-1)
        return x, weights


@MODELS.register_module()
class JointTokenPatchSelViT(PatchSelViT):
    """:class:`PatchSelViT` that prunes patches by joint-token attention.

    ``num_joints`` learnable tokens (one per keypoint) are prepended to the
    patch tokens. In each block listed in ``prune_after`` the attention
    every patch token *receives* from the joint tokens (the softmax rows of
    the joint queries over all keys, from that block's q and k, averaged
    over heads and summed over joints) ranks the patch tokens, and only the
    top ``ceil(rate * current_count)`` go on to the next block: the rate
    compounds, so 0.7 after three blocks keeps about 34 % (192 -> 135 -> 95
    -> 67 tokens at 256x192). Every sample of a batch keeps the same count,
    so the sequence is gathered, not masked. Blocks that prune
    (:class:`JointAttentionEncoderLayer`) run SDPA for their output as the
    others do, plus one small explicit product for the J joint query rows
    (``J * L * C`` multiply-adds, which FLOP counters book as a matmul, not
    as attention); a rate that keeps everything skips the ranking.

    Design choices:

    - The joint tokens ``joint_tokens`` (1, J, C) get no position embedding:
      each is already a free per-joint vector, so a second learnable
      per-joint embedding would add nothing. They are initialised
      N(0, 0.02) (truncated), like ViT class tokens, and are missing from
      ViTPose / MAE checkpoints (``OPTIONAL_KEYS``), which load strictly.
    - mmpose's ``LayerDecayOptimWrapperConstructor`` puts ``joint_tokens``
      in the last group (``layer_{num_layers + 1}_decay``): the full
      learning rate, like the head, since they start from scratch rather
      than from pre-trained weights, and the base weight decay, which that
      constructor applies to every tensor with more than one dimension
      not named ``pos_embed``. :meth:`get_layer_depth` agrees.
    - ``keep_rate`` rules in training, ``test_keep_rate`` (if not None)
      in eval mode, so a model can be trained at one rate and tested at
      another; ``JointTokenKeepRateHook`` changes ``keep_rate`` during
      training. Switching to eval mode with differing rates logs both.
    - An external selection (``keep_indices`` / ``key_padding_mask`` from a
      guide, as in :class:`PatchSelViT`) is supported: pruning then starts
      from those K tokens (counts include padding entries, which rank last
      and stay masked).
    - ``joint_loss`` (:class:`JointTokenCellLoss`) trains the ranking: in
      training, every pruning block computes the joint attention with
      gradient (also while the keep rate is 1.0, so the joint tokens learn
      where the keypoints are during the warm-up, before any patch is
      dropped), and the estimator adds ``loss_joint_token`` through
      :meth:`loss_joint_tokens`. It has no parameters: checkpoints with and
      without it are the same. Eval mode computes none of it.

    Args:
        arch (str | dict): as :class:`PatchSelViT`.
        **kwargs: the other arguments of :class:`PatchSelViT`.
        num_joints (int): Joint tokens, one per keypoint (COCO 17, MPII 16).
        prune_after (Sequence[int]): 0-based indices of the blocks after
            which patch tokens are pruned, each in [0, num_layers - 2].
            Defaults to (3, 6, 9).
        keep_rate (float): Fraction of the current patch tokens kept at each
            pruning layer in training (and in eval when ``test_keep_rate``
            is None), in (0, 1]. Defaults to 0.7.
        test_keep_rate (float, optional): The rate in eval mode; None
            (default) follows ``keep_rate``. Both rates are plain
            attributes (validated on assignment), not saved in checkpoints.
        joint_loss (dict, optional): Loss config supervising the joint
            tokens' attention, e.g. ``dict(type='JointTokenCellLoss',
            loss_weight=1e-3, sigma=0.5)``; needs ``transformed_keypoints``
            packed (``PackPoseInputs(pack_transformed=True)``). None
            (default) trains the joint tokens through the head alone,
            which does not teach them to rank (issue 13).

    Forward:
        As :class:`PatchSelViT`: ``forward(x, keep_indices=None,
        key_padding_mask=None)`` returns a 1-tuple with the (B, C, rows,
        cols) feature map, zeros where no patch token survived.
        :meth:`forward_tokens` returns the tokens and which ones survived.
    """
    OPTIONAL_KEYS = PatchSelViT.OPTIONAL_KEYS + ('joint_tokens', )
    layer_cls = JointAttentionEncoderLayer

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 *,
                 num_joints: int = 17,
                 prune_after: Sequence[int] = (3, 6, 9),
                 keep_rate: float = 0.7,
                 test_keep_rate: Optional[float] = None,
                 joint_loss: Optional[dict] = None,
                 **kwargs) -> None:
        if kwargs.get('merge_dropped'):
            raise ValueError('merge_dropped: JointTokenPatchSelViT drops '
                             'pruned tokens by itself; merging is for '
                             'PatchSelViT')
        super().__init__(arch, **kwargs)
        self.num_joints = check_int('num_joints', num_joints, minimum=1)
        self.prune_after = self._check_prune_after(prune_after)
        self.keep_rate = keep_rate
        self.test_keep_rate = test_keep_rate
        self._logged_rates = None
        self.joint_tokens = nn.Parameter(
            torch.zeros(1, num_joints, self.embed_dims))
        trunc_normal_(self.joint_tokens, std=0.02)
        self.joint_loss = None if joint_loss is None else MODELS.build(
            joint_loss)
        self._last_supervision = None
        #: (keep_indices, key_padding_mask) of the last forward: the grid
        #: positions that reached the last block (None: the whole grid).
        self.last_kept: Tuple[Optional[Tensor], Optional[Tensor]] = (None,
                                                                     None)

    def _check_prune_after(self,
                           prune_after: Sequence[int]) -> Tuple[int, ...]:
        layers = tuple(prune_after)
        last = self.num_layers - 2
        for i in layers:
            if isinstance(i, bool) or not isinstance(i, int) or \
                    not 0 <= i <= last:
                raise ValueError(
                    f'prune_after holds block index {i!r}; 0-based indices '
                    f'in [0, {last}] are valid for {self.num_layers} '
                    'layers (pruning after the last block saves nothing)')
        if list(layers) != sorted(set(layers)):
            raise ValueError(f'prune_after must be strictly increasing, '
                             f'got {layers}')
        return layers

    # ------------------------------------------------------------------
    # Keep rates
    @property
    def keep_rate(self) -> float:
        """Kept fraction per pruning layer in training."""
        return self._keep_rate

    @keep_rate.setter
    def keep_rate(self, value: float) -> None:
        self._keep_rate = check_keep_rate(value, 'keep_rate')

    @property
    def test_keep_rate(self) -> Optional[float]:
        """Kept fraction in eval mode; None follows ``keep_rate``."""
        return self._test_keep_rate

    @test_keep_rate.setter
    def test_keep_rate(self, value: Optional[float]) -> None:
        self._test_keep_rate = None if value is None else check_keep_rate(
            value, 'test_keep_rate')

    @property
    def current_keep_rate(self) -> float:
        """The rate the next forward uses (depends on train/eval mode)."""
        if self.training or self.test_keep_rate is None:
            return self.keep_rate
        return self.test_keep_rate

    def train(self, mode: bool = True) -> 'JointTokenPatchSelViT':
        super().train(mode)
        rates = (self.keep_rate, self.test_keep_rate)
        if not mode and self.test_keep_rate is not None and \
                self.test_keep_rate != self.keep_rate and \
                rates != self._logged_rates:
            print_log(
                f'{type(self).__name__}: eval mode keeps test_keep_rate='
                f'{self.test_keep_rate:g} per pruning layer; the training '
                f'keep_rate is {self.keep_rate:g}',
                logger='current')
            self._logged_rates = rates
        return self

    def patch_token_counts(self,
                           num_patches: Optional[int] = None,
                           keep_rate: Optional[float] = None) -> List[int]:
        """Patch tokens entering each block (joint tokens not counted).

        Args:
            num_patches: tokens entering the first block; defaults to the
                grid at ``img_size``.
            keep_rate: defaults to :attr:`current_keep_rate`.
        """
        count = self.num_patches if num_patches is None else num_patches
        rate = self.current_keep_rate if keep_rate is None else \
            check_keep_rate(keep_rate)
        counts = []
        for i in range(self.num_layers):
            counts.append(count)
            if i in self.prune_after:
                count = min(count, num_kept(rate, count))
        return counts

    # ------------------------------------------------------------------
    # Forward
    def _default_init(self) -> None:
        super()._default_init()
        trunc_normal_(self.joint_tokens, std=0.02)

    def _attn_mask(self,
                   key_padding_mask: Optional[Tensor]) -> Optional[Tensor]:
        """SDPA mask (B, 1, 1, J + K), True = may attend; joints always."""
        if key_padding_mask is None:
            return None
        joints = key_padding_mask.new_ones(key_padding_mask.shape[0],
                                           self.num_joints)
        return torch.cat([joints, ~key_padding_mask], dim=1)[:, None, None]

    def patch_scores(self, weights: Tensor) -> Tensor:
        """(B, K) attention each patch token receives from the joints:
        the mean over heads, summed over joints, of (B, heads, J, J + K)."""
        return weights.mean(dim=1).sum(dim=1)[:, self.num_joints:]

    def forward_tokens(
            self,
            x: Tensor,
            keep_indices: Optional[Tensor] = None,
            key_padding_mask: Optional[Tensor] = None) -> JointTokenOutput:
        """Transformer on joint + (selected) patch tokens, with pruning."""
        x, grid, keep_indices, key_padding_mask = self.embed_patches(
            x, keep_indices, key_padding_mask)
        B = x.shape[0]
        J = self.num_joints
        x = torch.cat([self.joint_tokens.to(x.dtype).expand(B, -1, -1), x],
                      dim=1)
        x = self.drop_after_pos(x)
        x = self.pre_norm(x)

        rate = self.current_keep_rate
        supervise = self.training and self.joint_loss is not None
        stages, supervised = [], []
        attn_mask = self._attn_mask(key_padding_mask)
        for i, layer in enumerate(self.layers):
            count = x.shape[1] - J
            keep = num_kept(rate, count)
            ranks = i in self.prune_after and keep < count
            if not ranks and not (supervise and i in self.prune_after):
                x = layer(x, attn_mask)
                continue
            x, weights = layer(x, attn_mask, num_queries=J,
                               with_grad=supervise)
            if supervise:
                supervised.append((weights.mean(dim=1)[:, :, J:],
                                   keep_indices, key_padding_mask))
                weights = weights.detach()
            if not ranks:
                continue
            scores = self.patch_scores(weights)
            if key_padding_mask is not None:
                scores = scores.masked_fill(key_padding_mask, float('-inf'))
            # Positions in the current sequence, kept in sequence order.
            top = scores.topk(keep, dim=1).indices.sort(dim=1).values
            patches = torch.gather(x[:, J:], 1,
                                   top[..., None].expand(-1, -1, x.shape[-1]))
            x = torch.cat([x[:, :J], patches], dim=1)
            if keep_indices is None:
                keep_indices = top  # the sequence was the whole grid
            else:
                keep_indices = torch.gather(keep_indices, 1, top)
            if key_padding_mask is not None:
                key_padding_mask = torch.gather(key_padding_mask, 1, top)
                attn_mask = self._attn_mask(key_padding_mask)
            stages.append(keep_indices)
        if self.final_norm:
            x = self.ln1(x)
        return JointTokenOutput(x[:, J:], x[:, :J], keep_indices,
                                key_padding_mask, stages, grid, supervised)

    def forward(self,
                x: Tensor,
                keep_indices: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None) -> Tuple[Tensor]:
        out = self.forward_tokens(x, keep_indices, key_padding_mask)
        if out.joint_attention:  # read by loss_joint_tokens
            self._last_supervision = (out.joint_attention,
                                      self.input_grid(x.shape[-2:]))
        # Read by the estimator's predict (kept_patch_mask).
        self.last_kept = (out.keep_indices, out.key_padding_mask)
        return (self.to_featmap(out.patch_tokens, out.grid, out.keep_indices,
                                out.key_padding_mask), )

    def input_grid(self, hw: Sequence[int]) -> PatchGrid:
        """The :class:`PatchGrid` of an (h, w) input."""
        return PatchGrid((int(hw[1]), int(hw[0])),
                         self.patch_embed.patch_size[0],
                         self.patch_embed.padding[0])

    def loss_joint_tokens(self, keypoints: Tensor,
                          keypoint_weights: Tensor) -> dict:
        """``{joint_loss.loss_name: loss}`` for the last training forward.

        Args:
            keypoints: (B, J, 2) ground-truth keypoints in input pixels.
            keypoint_weights: (B, J), > 0 for visible keypoints.
        """
        if self.joint_loss is None:
            raise RuntimeError(f'{type(self).__name__} has no joint_loss')
        if self._last_supervision is None:
            raise RuntimeError(
                'loss_joint_tokens() needs a training-mode forward first '
                '(none since the last call)')
        attention, grid = self._last_supervision
        self._last_supervision = None
        if keypoints.shape[:2] != attention[0][0].shape[:2]:
            raise ValueError(
                f'keypoints {tuple(keypoints.shape)} do not match the '
                f'{attention[0][0].shape[0]} samples x {self.num_joints} '
                'joint tokens of the last forward')
        loss = self.joint_loss(*zip(*attention), grid, keypoints,
                               keypoint_weights)
        return {self.joint_loss.loss_name: loss}
