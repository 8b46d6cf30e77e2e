/**
 * MJCF of CommandAvatar-v0's body, written for lamkit: a capsule torso with
 * a head on a plane, moved by slide joints x (forward), y (left) and z
 * (height, a position servo about the standing height) and one arm on a
 * hinge that swings forward to strike. No contacts (the servo holds the
 * height), so a step costs a few microseconds and episodes are exactly
 * reproducible.
 */
export const AVATAR_XML = `<mujoco model="command_avatar">
  <compiler angle="radian" inertiafromgeom="true"/>
  <size memory="256K"/>
  <option gravity="0 0 -9.81" timestep="0.01"/>
  <default>
    <geom contype="0" conaffinity="0"/>
  </default>
  <worldbody>
    <light pos="0 0 3" dir="0 0 -1"/>
    <geom name="floor" type="plane" size="3 3 0.1" rgba="0.85 0.85 0.8 1"/>
    <geom name="target" type="box" pos="0.8 0 0.3" size="0.05 0.2 0.3" rgba="0.8 0.25 0.2 1"/>
    <body name="torso" pos="0 0 0.6">
      <joint name="x" type="slide" axis="1 0 0" damping="8"/>
      <joint name="y" type="slide" axis="0 1 0" damping="8"/>
      <joint name="z" type="slide" axis="0 0 1" damping="4" range="-0.45 1.5" limited="true"/>
      <geom name="torso" type="capsule" fromto="0 0 -0.3 0 0 0.2" size="0.12" mass="5" rgba="0.2 0.45 0.8 1"/>
      <geom name="head" type="sphere" pos="0 0 0.38" size="0.1" mass="1" rgba="0.95 0.8 0.6 1"/>
      <body name="arm" pos="0 -0.16 0.15">
        <joint name="shoulder" type="hinge" axis="0 1 0" damping="1" range="-1.6 1.6" limited="true"/>
        <geom name="arm" type="capsule" fromto="0 0 0 0 0 -0.35" size="0.04" mass="0.5" rgba="0.2 0.45 0.8 1"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="move_x" joint="x" gear="60" ctrllimited="true" ctrlrange="-1 1"/>
    <motor name="move_y" joint="y" gear="60" ctrllimited="true" ctrlrange="-1 1"/>
    <position name="height" joint="z" kp="600" ctrllimited="true" ctrlrange="-0.45 1.5"/>
    <position name="swing" joint="shoulder" kp="30" ctrllimited="true" ctrlrange="-1.6 1.6"/>
  </actuator>
</mujoco>
`;
